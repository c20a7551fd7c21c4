// Online verify and repair between two clusters while the task runs under a write load spread over all slots: no
// false alarm, every key changed behind the task's back on the destination found (per master of the source: each
// stream's own offsets), repaired with one transaction per slot, consistent again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, sleep, type RedisCluster } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { runSpreadLoad } from '../harness/dataset';
import { verifyTask } from '../../provider/verify/verify-task';
import type { Problem } from '../../provider/verify/report';
import type { TaskSpec } from '../../provider/spec/types';

async function caughtUp(d: Daemon, src: RedisCluster): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const offsets = new Map<string, number>();
    for (const m of src.masters) offsets.set(m.addr, Number(/master_repl_offset:(\d+)/.exec(await m.client().info('replication'))![1]));
    const st = d.status();
    if (st && st.state === 'Synchronizing' && st.nodes.length === offsets.size && st.nodes.every((n) => n.appliedOffset >= (offsets.get(n.node) ?? Infinity))) return;
    await sleep(50);
  }
  throw new Error(`not caught up: ${JSON.stringify(d.status()?.nodes)}`);
}

test('cluster to cluster: online verify under load, 20 tampered keys found and repaired', async () => {
  const src = await startCluster({ masters: 3 });
  const dst = await startCluster({ masters: 3 });
  try {
    const c = src.client();
    for (let i = 0; i < 1000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => Promise.all([c.set(`base:s:${i + j}`, `v${i + j}`), c.hset(`base:h:${i + j}`, 'a', String(i + j))])));
    }
    const spec: TaskSpec = { name: 'online-cluster', source: { mode: 'cluster', nodes: [src.nodes[0]] }, destination: { mode: 'cluster', nodes: [dst.nodes[0]] }, heartbeat: { intervalMs: 100 } };
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 90_000);
      await caughtUp(d, src);
      let stop = false;
      const load = (async () => {
        for (let i = 0; i < 1000 && !stop; i++) await runSpreadLoad(c, { durationMs: 200, maxCommands: 300, seed: i + 1, keys: 300 });
      })();
      try {
        await sleep(500);
        const clean = await verifyTask(spec);
        assert.equal(clean.online, true);
        assert.deepEqual(clean.firstMismatches, [], 'false alarm under load');
        assert.ok(clean.keysCompared >= 2000);

        const t = dst.client();
        const want = new Map<string, Problem>();
        for (let i = 0; i < 4; i++) {
          await t.set(`base:s:${i}`, 'tampered'); want.set(`base:s:${i}`, 'value');
          await t.del(`base:s:${10 + i}`); await t.sadd(`base:s:${10 + i}`, 'x'); want.set(`base:s:${10 + i}`, 'type');
          await t.pexpire(`base:s:${20 + i}`, 9_000_000); want.set(`base:s:${20 + i}`, 'ttl');
          await t.del(`base:h:${i}`); want.set(`base:h:${i}`, 'missing on destination');
          await t.set(`stray:${i}`, 'only here'); want.set(`stray:${i}`, 'extra on destination');
        }
        const bad = await verifyTask(spec, { maxMismatches: 1000 });
        assert.deepEqual(new Map(bad.firstMismatches.map((m) => [m.key, m.problem])), want);
        const fixed = await verifyTask(spec, { repair: true, maxMismatches: 1000 });
        assert.equal(fixed.repair?.failed, 0, JSON.stringify(fixed.repair?.firstFailures));
        assert.equal(fixed.repair?.repaired, 20);
        const again = await verifyTask(spec);
        assert.deepEqual(again.firstMismatches, []);
      } finally {
        stop = true;
        await load;
      }
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
