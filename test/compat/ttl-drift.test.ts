// Relative expiries from a source before 7.0 written while the daemon is down: replayed 15 s late, they must not
// live 15 s longer on the destination. Every TTL on the destination within 1 s of the source's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../harness/daemon';
import { sleep, type RedisServer } from '../harness/redis';
import { caughtUp, taskSpec } from '../harness/sync';
import { compatServers, DEBIAN, startVersion } from './servers';

const OUTAGE_MS = 15_000;

async function pttls(s: RedisServer, keys: string[]): Promise<number[]> {
  const p = s.client().pipeline();
  for (const k of keys) p.pttl(k);
  return ((await p.exec()) ?? []).map(([, v]) => Number(v));
}

test('a 6.0 source, the daemon down 15 s while EXPIREs are written: destination TTLs within 1 s of the source', { timeout: 10 * 60_000 }, async (t) => {
  const found = compatServers();
  if ('skip' in found) {
    console.log(`skipped: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  const src = await startVersion(found.servers.get('6.0')!, { 'repl-backlog-size': '16mb' });
  const dst = await startVersion(DEBIAN);
  try {
    const keys: string[] = [];
    for (let i = 0; i < 300; i++) keys.push(`k:${i}`);
    await src.client().mset(...keys.flatMap((k) => [k, 'v']));
    const spec = taskSpec('ttl-drift', src, dst);
    let d = startDaemon(spec);
    await d.waitForState('Synchronizing', 60_000);
    await d.kill('SIGKILL');
    // One slice of keys per second of the outage, with each kind of relative expiry.
    const slices = OUTAGE_MS / 1000;
    for (let s = 0; s < slices; s++) {
      const p = src.client().pipeline();
      for (let i = s * 20; i < (s + 1) * 20; i++) {
        const k = keys[i];
        if (i % 4 === 0) p.expire(k, 600);
        else if (i % 4 === 1) p.pexpire(k, 600_000);
        else if (i % 4 === 2) p.set(k, 'v2', 'EX', 600);
        else p.setex(k, 600, 'v3');
      }
      await p.exec();
      await sleep(1000);
    }
    d = startDaemon(spec, { stateDir: d.stateDir });
    await d.waitForState('Synchronizing', 60_000);
    await caughtUp(d, src, 60_000);
    await sleep(500); // the TTL repair runs at the first fresh heartbeat after the replay
    await caughtUp(d, src, 60_000);
    const [a, b] = await Promise.all([pttls(src, keys), pttls(dst, keys)]);
    let worst = 0;
    for (let i = 0; i < slices * 20; i++) {
      assert.ok(a[i] > 0 && b[i] > 0, `${keys[i]}: PTTL ${a[i]} on the source, ${b[i]} on the destination`);
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    console.log(`largest TTL difference after a ${OUTAGE_MS / 1000} s outage: ${worst} ms over ${slices * 20} keys`);
    assert.ok(worst <= 1000, `a TTL differs by ${worst} ms`);
    await d.kill('SIGTERM');
  } finally {
    await src.stop();
    await dst.stop();
  }
});
