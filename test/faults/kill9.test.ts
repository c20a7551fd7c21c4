// kill -9 of the worker at random moments (fixed-seed PRNG), 20 times during full sync and 20 times during
// incremental sync under a bounded mixed write load. The supervisor restarts it each time; the task must end
// consistent with no key lost, and (standalone destination: exactly-once) INCR counters and RPUSH lists equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { fillEveryType, runMixedLoad, prng } from '../harness/dataset';
import { FaultProxy } from '../harness/fault-proxy';
import { startDaemon, type Daemon } from '../harness/daemon';
import { taskSpec, startSupervised, waitStatus, caughtUp, assertConsistent, tally, countingLoad, removeStateDir, CRASH_TOLERANT, killInFullSync } from './helpers';

const KILLS = 20;

test('kill -9 of the worker 20 times during full sync, then 20 times during incremental sync under load', { timeout: 240_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb', 'repl-diskless-sync': 'no' } });
  const dst = await startRedis();
  // The source behind a throttled proxy: the full sync takes ~2 s, so every kill of phase 1 lands inside one.
  const proxy = await FaultProxy.start(src);
  const rnd = prng(20261125);
  const spec = taskSpec('kill9', { addr: proxy.addr }, dst);
  let d: Awaited<ReturnType<typeof startSupervised>> | null = null;
  try {
    const c = src.client();
    await c.call('DEBUG', 'POPULATE', '50000', 'pop', '64');
    for (const db of [0, 1]) await fillEveryType(c, db);
    proxy.slowDown({ bytesPerSec: 800_000 });
    d = await startSupervised(spec, { supervisor: CRASH_TOLERANT });

    // Phase 1: full sync, with a write load running (deletes included: a key deleted between two snapshots must
    // not survive on the destination).
    const load1 = c.duplicate();
    let stopLoad = false;
    const loading1 = (async () => {
      let n = 0;
      for (let round = 0; !stopLoad && round < 200; round++) n += await runMixedLoad(load1, { dbs: [0, 1], durationMs: 200, maxCommands: 500, seed: 100 + round, keys: 300 });
      return n;
    })();
    let worker: number | null = null;
    let duringFull = 0;
    for (let i = 0; i < KILLS; i++) {
      const k = await killInFullSync(d, worker, rnd);
      worker = k.worker;
      const st = k.status;
      if (st?.state === 'Initializing' && st.nodes[0].fullSync.startedAt !== null) duringFull++;
      if (process.env.DEBUG_KILL9) console.log(i, k.waitedMs, st?.state, st?.nodes[0].lastSync, st?.nodes[0].fullSync.bytesDone, st?.nodes[0].fullSync.startedAt, st?.startedAt);
    }
    stopLoad = true;
    proxy.slowDown({});
    const sent1 = await loading1;
    load1.disconnect();
    await d.nextWorker(worker);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the full-sync kills');
    await caughtUp(d, src);
    await assertConsistent(spec, 50_000);
    console.log(`full sync: ${KILLS} kills, ${duringFull} while Initializing; load ${sent1} commands`);
    assert.ok(duringFull >= KILLS / 2, `only ${duringFull} of ${KILLS} kills landed during the full sync`);

    // Phase 2: incremental sync under a mixed load plus exact counters.
    const load2 = c.duplicate();
    const count2 = c.duplicate();
    stopLoad = false;
    const loading2 = (async () => {
      let n = 0;
      for (let round = 0; !stopLoad && round < 1000; round++) n += await runMixedLoad(load2, { dbs: [0, 1], durationMs: 100, maxCommands: 300, seed: 1000 + round, keys: 300, batch: 20 });
      return n;
    })();
    const counting = countingLoad(count2, 'exact', 50, { durationMs: 60_000, maxCommands: 200_000, stop: () => stopLoad });
    let continues = 0;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker);
      await sleep(100 + Math.floor(rnd() * 1100));
      const st = d.status();
      if (st?.state === 'Synchronizing' && st.nodes[0].lastSync === 'continue') continues++;
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    stopLoad = true;
    const counted = await counting;
    const sent2 = await loading2;
    load2.disconnect();
    count2.disconnect();
    await d.nextWorker(worker);
    const st2 = await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the incremental kills');
    assert.equal(st2.nodes[0].lastSync, 'continue', 'a restart within the backlog resumes with +CONTINUE');
    await caughtUp(d, src);
    const want = await tally(src, 'exact', 50);
    const got = await tally(dst, 'exact', 50);
    console.log(`incremental: ${KILLS} kills, ${continues} seen resumed with +CONTINUE; mixed load ${sent2} commands, counting load ${counted} commands; source ${JSON.stringify(want)} destination ${JSON.stringify(got)}; replayed: ${got.counters - want.counters} INCR, ${got.elements - want.elements} RPUSH`);
    assert.deepEqual(got, want, 'a standalone destination is exactly-once: no INCR or RPUSH replayed or lost');
    await assertConsistent(spec, 50_000);
    assert.match(d.log(), /\+CONTINUE/);
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await proxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('`redis-sync run` killed during its first full sync starts again with its prechecks (the destination keys are its own) and ends consistent', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: { 'repl-diskless-sync': 'no' } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await c.call('DEBUG', 'POPULATE', '20000', 'first', '64');
    proxy.slowDown({ bytesPerSec: 400_000 });
    const spec = taskSpec('firstfull', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    const stateDir = d.stateDir;
    await waitStatus(d, (s) => s.nodes[0].fullSync.keysDone > 1000, 30_000, 'the first full sync under way');
    await d.kill('SIGKILL');
    assert.ok((await dst.client().dbsize()) > 1000, 'the interrupted copy left keys behind');
    await c.del('first:key:5', 'first:key:6'); // deleted between the two snapshots
    proxy.slowDown({});
    d = startDaemon(spec, { stateDir }); // with prechecks: destination-empty must not refuse the task's own keys
    await d.waitForState('Synchronizing', 30_000);
    await caughtUp(d, src);
    assert.equal(await dst.client().exists('first:key:5', 'first:key:6'), 0);
    await assertConsistent(spec, 19_000);
  } finally {
    await d?.kill('SIGTERM');
    await proxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});
