// The destination runs out of memory (maxmemory small, noeviction): the task stops in Failed naming OOM, never
// acknowledging what was refused; once maxmemory is raised the restarted task resumes from its checkpoint and the
// destination ends identical to the source. Also FLUSHALL and SWAPDB on the source during incremental sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { taskSpec, waitStatus, caughtUp, assertConsistent, tally, countingLoad } from './helpers';

const FAST_SOURCE = { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '64mb' };

test('destination OOM: Failed naming OOM; after maxmemory is raised the restart resumes and nothing is lost', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis({ config: { maxmemory: '4mb', 'maxmemory-policy': 'noeviction' } });
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('oom', src, dst);
    // The memory precheck would refuse a destination this small; this test wants the runtime failure.
    d = startDaemon(spec, { args: ['--skip-prechecks'] });
    const stateDir = d.stateDir;
    await d.waitForState('Synchronizing', 30_000);
    const counter = c.duplicate();
    const counted = await countingLoad(counter, 'oom', 20, { durationMs: 2000, maxCommands: 2000 });
    counter.disconnect();
    for (let i = 0; i < 400; i++) await c.set(`big:${i}`, 'x'.repeat(20_000)); // 8 MB > 4 MB
    const failed = await waitStatus(d, (s) => s.state === 'Failed', 30_000, 'Failed on OOM');
    assert.match(failed.lastError?.message ?? '', /OOM/);
    // Where: the destination node and the stream offset of the refused command (inside a batch it has none of its own).
    assert.equal(failed.lastError?.node, dst.addr);
    assert.equal(typeof failed.lastError?.offset, 'number', JSON.stringify(failed.lastError));
    assert.equal(await d.exited(), 1);
    const appliedAtFailure = failed.nodes[0].appliedOffset;
    assert.ok(appliedAtFailure > 0);

    await dst.client().config('SET', 'maxmemory', '0');
    await c.set('after-raise', '1');
    d = startDaemon(spec, { stateDir });
    const st = await d.waitForState('Synchronizing', 30_000);
    assert.equal(st.nodes[0].lastSync, 'continue', 'the restart resumes from the checkpoint');
    await caughtUp(d, src);
    assert.deepEqual(await tally(dst, 'oom', 20), await tally(src, 'oom', 20));
    assert.ok(counted > 0);
    assert.equal(await dst.client().exists('big:399'), 1);
    await assertConsistent(spec, 400);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('FLUSHALL and SWAPDB on the source during incremental sync', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  let d: Daemon | null = null;
  try {
    const c = src.client();
    for (const db of [0, 1, 2]) await fillEveryType(c, db, `db${db}:`);
    const spec = taskSpec('flushswap', src, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    const load = c.duplicate();
    const loading = runMixedLoad(load, { dbs: [0, 1, 2], durationMs: 3000, maxCommands: 15_000, seed: 21 });
    await sleep(500);
    const admin = c.duplicate();
    await admin.swapdb(1, 2);
    await sleep(300);
    await admin.swapdb(0, 1);
    await loading;
    await caughtUp(d, src);
    await assertConsistent(spec, 60);
    const dc = dst.client();
    await dc.select(2);
    assert.equal(await dc.exists('db1:str:raw'), 1, 'SWAPDB 1 2 moved db 1 into db 2 on the destination too');

    await admin.flushall();
    await admin.select(3);
    await admin.set('after-flushall', '1');
    await caughtUp(d, src);
    for (const db of [0, 1, 2]) {
      await dc.select(db);
      const keys = (await dc.keys('*')).filter((k) => !k.startsWith('redis-sync:'));
      assert.deepEqual(keys, [], `db ${db} must be empty after FLUSHALL`);
    }
    await dc.select(3);
    assert.equal(await dc.get('after-flushall'), '1');
    await assertConsistent(spec, 1);
    admin.disconnect();
    load.disconnect();
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
