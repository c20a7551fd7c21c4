// One task, one writer: a second daemon of a live task refuses to start (same state dir, another state dir, detached
// + foreground), and a paused owner whose lease expired cannot write once it wakes up, whatever it had in flight:
// the destination's fence aborts its transactions. Counted with INCR and RPUSH, so a doubled or lost write shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon, exitedWithin, type Daemon } from '../harness/daemon';
import { taskSpec, startSupervised, waitStatus, caughtUp, assertConsistent, tally, countingLoad, removeStateDir } from '../faults/helpers';
import { leaseKey, statusKey } from '../../provider/state/task-keys';
import { FaultProxy } from '../harness/fault-proxy';
import { runCli } from '../bad-input/cli';

const KEYS = 50;

async function exactCopy(src: RedisServer, dst: RedisServer, prefix: string, sent: number): Promise<void> {
  const s = await tally(src, prefix, KEYS);
  const d = await tally(dst, prefix, KEYS);
  assert.equal(s.counters + s.elements, sent, 'the source took every write of the load');
  assert.deepEqual(d, s, `destination ${JSON.stringify(d)} vs source ${JSON.stringify(s)}: a write was doubled or lost`);
}

async function refusedNamingOwner(second: Daemon, task: string): Promise<void> {
  const code = await exitedWithin(second, 20_000);
  assert.equal(code, 1, `the second run of ${task} must exit at once with 1; output: ${second.output()}`);
  assert.match(second.output(), new RegExp(`task ${task} is already running on host \\S+ pid \\d+ since`), second.output());
}

test('a second `run` of a live task exits at once naming the owner (same state dir, another state dir); nothing is applied twice', { timeout: 120_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const spec = taskSpec('twice', src, dst);
  const first = startDaemon(spec);
  try {
    await first.waitForState('Synchronizing');
    const c = src.client();
    let stop = false;
    const loading = countingLoad(c, 'tw', KEYS, { durationMs: 30_000, maxCommands: 5000, batch: 10, stop: () => stop });
    const sameDir = startDaemon(spec, { stateDir: first.stateDir });
    await refusedNamingOwner(sameDir, 'twice');
    const otherDir = startDaemon(spec);
    await refusedNamingOwner(otherDir, 'twice');
    const sent = await loading;
    stop = true;
    await caughtUp(first, src);
    await exactCopy(src, dst, 'tw', sent);
    assert.equal(first.status()?.state, 'Synchronizing', 'the first daemon kept running');
    await assertConsistent(spec);
    removeStateDir(otherDir.stateDir);
  } finally {
    await first.kill('SIGTERM');
    removeStateDir(first.stateDir);
    await src.stop();
    await dst.stop();
  }
});

test('a foreground `run` next to the detached daemon of the task is refused; the status is readable from the destination', { timeout: 120_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const spec = taskSpec('detached', src, dst);
  // removeStateDir removes the state dir's parent: a directory of the test's own.
  const stateDir = join(mkdtempSync(join(tmpdir(), 'redis-sync-owner-')), 'state');
  const d = await startSupervised(spec, { stateDir });
  try {
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing');
    const fg = startDaemon(spec);
    await refusedNamingOwner(fg, 'detached');
    // What any machine sees: the lease (who, where) and the status, on the destination.
    const lease = JSON.parse((await dst.client().get(leaseKey('detached')))!) as { host: string; pid: number };
    assert.equal(lease.pid, d.pid, 'the lease names the supervisor');
    // `ps` names the task: which daemon is which on a host that runs several.
    assert.match(readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').split('\0').join(' '), /supervisor\.js --task detached /);
    await sleep(1500);
    const status = JSON.parse((await dst.client().get(statusKey('detached')))!) as { state: string; host: string };
    assert.equal(status.state, 'Synchronizing');
    assert.equal(status.host, lease.host);
    // The CLI from another state dir (another machine): status from the destination, then a stop through it.
    const shown = await runCli(['status', '--config', fg.specPath, '--state-dir', fg.stateDir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Synchronizing/);
    assert.match(shown.stdout, new RegExp(`from the destination: runs on host ${lease.host} pid ${d.pid}`));
    const stopped = await runCli(['stop', '--config', fg.specPath]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped and gave its lease back/);
    for (let i = 0; i < 100 && d.alive(); i++) await sleep(100);
    assert.equal(d.alive(), false, 'the supervisor exited after the stop request');
    assert.equal(await dst.client().exists(leaseKey('detached')), 0, 'the lease was given back');
    removeStateDir(fg.stateDir);
  } finally {
    await d.stop();
    removeStateDir(stateDir);
    await src.stop();
    await dst.stop();
  }
});

test('fencing: a SIGSTOPped owner whose lease expired is taken over; after SIGCONT it applies nothing and exits saying it lost the lease', { timeout: 180_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const spec = taskSpec('fence', src, dst);
  process.env.REDIS_SYNC_LEASE_MS = '1500';
  const a = startDaemon(spec);
  let b: Daemon | null = null;
  try {
    await a.waitForState('Synchronizing');
    const c = src.client();
    let stop = false;
    let sent = 0;
    const loading = (async () => {
      for (let round = 0; round < 1000 && !stop; round++) sent += await countingLoad(c, 'fx', KEYS, { durationMs: 50, maxCommands: 200, batch: 20 });
    })();
    await sleep(700);
    // Paused with writes in flight: the source keeps writing, A's socket buffers hold commands it never sent.
    process.kill(a.child.pid!, 'SIGSTOP');
    await sleep(2500); // past the lease
    b = startDaemon(spec);
    await b.waitForState('Synchronizing');
    await sleep(1000);
    process.kill(a.child.pid!, 'SIGCONT');
    const code = await exitedWithin(a, 30_000);
    assert.equal(code, 1, `the woken owner must exit; output: ${a.output()}`);
    assert.match(a.output(), /lost the lease/, a.output());
    await sleep(500);
    stop = true;
    await loading;
    await caughtUp(b, src);
    await exactCopy(src, dst, 'fx', sent);
    await assertConsistent(spec);
    console.log(`fencing: ${sent} writes, owner paused 2.5 s and taken over; exact`);
  } finally {
    delete process.env.REDIS_SYNC_LEASE_MS;
    try { process.kill(a.child.pid!, 'SIGCONT'); } catch { /* gone */ }
    await a.kill('SIGKILL');
    if (b) await b.kill('SIGTERM');
    removeStateDir(a.stateDir);
    if (b) removeStateDir(b.stateDir);
    await src.stop();
    await dst.stop();
  }
});

test('fencing a full sync: an owner SIGSTOPped mid-copy and taken over writes none of its old snapshot after SIGCONT', { timeout: 180_000 }, async () => {
  const src = await startRedis({ config: { 'repl-diskless-sync': 'no' } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  process.env.REDIS_SYNC_LEASE_MS = '1500';
  const N = 100_000;
  const slow = startDaemon(taskSpec('fencefull', { addr: proxy.addr }, dst));
  let b: Daemon | null = null;
  try {
    await src.client().call('DEBUG', 'POPULATE', String(N), 'fs', '16');
    proxy.slowDown({ bytesPerSec: 400_000 });
    await slow.waitFor((s) => s.nodes[0].fullSync.bytesDone > 100_000, 60_000, 'the full sync under way');
    process.kill(slow.child.pid!, 'SIGSTOP');
    await sleep(2500); // past the lease, mid-copy
    const spec = taskSpec('fencefull', src, dst);
    b = startDaemon(spec);
    await b.waitForState('Synchronizing');
    // Every key changes on the source after B's snapshot: a stale copy from A would show as an old value.
    await src.client().eval(`for i = 0, ${N - 1} do redis.call('SET', 'fs:' .. i, 'new') end return 1`, 0);
    await caughtUp(b, src, 60_000);
    proxy.slowDown({});
    process.kill(slow.child.pid!, 'SIGCONT');
    const code = await exitedWithin(slow, 60_000);
    assert.equal(code, 1, `the woken owner must exit; output: ${slow.output()}`);
    assert.match(slow.output(), /lost the lease/, slow.output());
    await sleep(500);
    const d = dst.client();
    let stale = 0;
    for (let base = 0; base < N; base += 5000) {
      const keys = Array.from({ length: Math.min(5000, N - base) }, (_, i) => `fs:${base + i}`);
      stale += (await d.mget(...keys)).filter((v) => v !== 'new').length;
    }
    assert.equal(stale, 0, `${stale} keys hold the paused owner's old snapshot`);
    await assertConsistent(spec, N);
  } finally {
    delete process.env.REDIS_SYNC_LEASE_MS;
    try { process.kill(slow.child.pid!, 'SIGCONT'); } catch { /* gone */ }
    await slow.kill('SIGKILL');
    if (b) await b.kill('SIGTERM');
    removeStateDir(slow.stateDir);
    if (b) removeStateDir(b.stateDir);
    await proxy.close();
    await src.stop();
    await dst.stop();
  }
});
