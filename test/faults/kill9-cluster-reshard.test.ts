// Exactly-once into a cluster destination that reshards while the task runs: slots move between masters (MOVED, ASK,
// TRYAGAIN while their keys migrate) under an INCR/RPUSH/LPUSH/APPEND load, and the worker is killed -9 meanwhile.
// Every counter, list and string must equal the source's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedis, startCluster, sleep } from '../harness/redis';
import { prng } from '../harness/dataset';
import { runExactLoad, exactDiffs } from './exact-load';
import { taskSpec, startSupervised, waitStatus, caughtUp, removeStateDir, CRASH_TOLERANT } from './helpers';

const KILLS = 20;
const KEYS = 30;
const run = promisify(execFile);

test('a cluster destination reshards under load while the worker is killed -9 20 times: counters, lists and strings exact', { timeout: 300_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb' } });
  const cluster = await startCluster({ masters: 3 });
  const rnd = prng(13);
  const spec = taskSpec('reshardcluster', src, { addr: cluster.nodes[0] }, { databases: [0] });
  spec.destination = { mode: 'cluster', nodes: cluster.nodes };
  let d: Awaited<ReturnType<typeof startSupervised>> | null = null;
  try {
    const c = src.client();
    await c.set('seed', '1');
    d = await startSupervised(spec, { supervisor: CRASH_TOLERANT });
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing');
    const load = runExactLoad(c, 'rx', KEYS);
    const ids = await Promise.all([0, 1, 2].map((i) => cluster.masters[i].client().call('CLUSTER', 'MYID') as Promise<string>));
    // Back and forth, so that the slots holding the load's keys move while they are written.
    const resharding = (async () => {
      for (const [from, to] of [[0, 1], [1, 2], [2, 0]]) {
        await run('redis-cli', ['--cluster', 'reshard', cluster.nodes[0], '--cluster-from', ids[from], '--cluster-to', ids[to], '--cluster-slots', '3000', '--cluster-yes', '--cluster-pipeline', '10'], { timeout: 120_000 });
      }
    })();
    let worker: number | null = null;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker, 60_000);
      await sleep(500 + Math.floor(rnd() * 1000));
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    await resharding;
    const sent = await load.finish();
    await d.nextWorker(worker, 60_000);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 120_000, 'Synchronizing after the kills');
    await caughtUp(d, src, 120_000);

    const { diffs, counters, elements, appended } = await exactDiffs(c, cluster.client(), 'rx', KEYS);
    const log = d.log();
    const retries = (log.match(/TRYAGAIN/g) ?? []).length;
    const fenced = (log.match(/SLOTFENCED/g) ?? []).length;
    console.log(`cluster destination resharded 3 x 3000 slots, ${KILLS} kills, ${sent} commands (${counters} INCR, ${elements} RPUSH/LPUSH, ${appended} bytes appended); ${retries} TRYAGAIN and ${fenced} SLOTFENCED log lines; ${diffs.length} keys differ`);
    assert.deepEqual(diffs, []);
  } catch (err) {
    const lines = (d?.log() ?? '').split('\n').filter((l) => /"level":(40|50)/.test(l));
    console.log(lines.slice(-15).join('\n'));
    throw err;
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await cluster.stop();
    await src.stop();
  }
});
