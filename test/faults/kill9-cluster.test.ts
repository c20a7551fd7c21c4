// Exactly-once into a cluster destination (node batches, task/node-batches.ts): kill -9 of the worker 20 times
// during full sync and 20 times during incremental sync, under a load of INCR counters, RPUSH and LPUSH lists with
// unique elements and APPEND strings, into a 3-master cluster. Every counter, list and string must equal the source's:
// one command applied twice (or lost) shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep } from '../harness/redis';
import { prng } from '../harness/dataset';
import { FaultProxy } from '../harness/fault-proxy';
import { runExactLoad, exactDiffs } from './exact-load';
import { taskSpec, startSupervised, waitStatus, caughtUp, removeStateDir, CRASH_TOLERANT, killInFullSync } from './helpers';

const KILLS = 20;
const KEYS = 30;

test('kill -9 with a cluster destination, 20 times in full sync and 20 in incremental sync: counters, lists and strings exact', { timeout: 300_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb', 'repl-diskless-sync': 'no' } });
  const cluster = await startCluster({ masters: 3 });
  // The source behind a throttled proxy: the full sync takes ~2 s, so the kills of phase 1 land inside one.
  const proxy = await FaultProxy.start(src);
  const rnd = prng(77);
  const spec = taskSpec('kill9cluster', { addr: proxy.addr }, { addr: cluster.nodes[0] }, { databases: [0] });
  spec.destination = { mode: 'cluster', nodes: cluster.nodes };
  let d: Awaited<ReturnType<typeof startSupervised>> | null = null;
  try {
    const c = src.client();
    await c.call('DEBUG', 'POPULATE', '50000', 'pop', '64');
    proxy.slowDown({ bytesPerSec: 800_000 });
    d = await startSupervised(spec, { supervisor: CRASH_TOLERANT });
    const load = runExactLoad(c, 'cx', KEYS);

    let worker: number | null = null;
    let duringFull = 0;
    for (let i = 0; i < KILLS; i++) {
      const k = await killInFullSync(d, worker, rnd);
      worker = k.worker;
      if (k.status?.state === 'Initializing') duringFull++;
    }
    proxy.slowDown({});
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the full-sync kills');

    const phase2From = load.progress.sent;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker);
      await sleep(300 + Math.floor(rnd() * 900));
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    const phase2 = load.progress.sent - phase2From;
    assert.ok(phase2 > 10_000, `the load was not running during the incremental kills (${phase2} commands)`);
    const sent = await load.finish();
    await d.nextWorker(worker);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the kills');
    await caughtUp(d, src, 60_000);

    const { diffs, counters, elements, appended } = await exactDiffs(c, cluster.client(), 'cx', KEYS);
    console.log(`cluster destination: ${KILLS} kills in full sync (${duringFull} while Initializing), ${KILLS} in incremental; ${sent} commands (${phase2} during the incremental kills) (${counters} INCR, ${elements} RPUSH/LPUSH, ${appended} bytes appended); ${diffs.length} keys differ`);
    assert.deepEqual(diffs, []);
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await proxy.close();
    await cluster.stop();
    await src.stop();
  }
});
