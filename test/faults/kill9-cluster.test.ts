// Exactly-once into a cluster destination (node batches, task/node-batches.ts): kill -9 of the worker 20 times
// during full sync and 20 times during incremental sync, under a load of INCR counters, RPUSH and LPUSH lists with
// unique elements and APPEND strings, into a 3-master cluster. Every counter, list and string must equal the source's:
// one command applied twice (or lost) shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep, type RedisServer } from '../harness/redis';
import { prng } from '../harness/dataset';
import { FaultProxy } from '../harness/fault-proxy';
import { taskSpec, startSupervised, waitStatus, caughtUp, removeStateDir } from './helpers';

const KILLS = 20;
const KEYS = 30;
const SUPERVISOR = { crashLimit: 1000, restartMinMs: 50, restartMaxMs: 200 };

/** INCR, RPUSH, LPUSH, APPEND in turn over KEYS keys of each kind, every element unique. */
async function exactLoad(c: ReturnType<RedisServer['client']>, prefix: string, stop: () => boolean, progress: { sent: number }): Promise<number> {
  let sent = 0;
  while (!stop() && sent < 4_000_000) {
    const p = c.pipeline();
    for (let i = 0; i < 40; i++, sent++) {
      const k = sent % KEYS;
      switch (sent % 4) {
        case 0: p.incr(`${prefix}:c:${k}`); break;
        case 1: p.rpush(`${prefix}:r:${k}`, `e${sent}`); break;
        case 2: p.lpush(`${prefix}:l:${k}`, `e${sent}`); break;
        default: p.append(`${prefix}:a:${k}`, `${sent},`);
      }
    }
    await p.exec();
    progress.sent = sent;
    // Paced (~1 pipeline per ms at most): the load must last through both phases of kills.
    await sleep(1);
  }
  return sent;
}

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
    d = await startSupervised(spec, { supervisor: SUPERVISOR });
    const loader = c.duplicate();
    let stop = false;
    const progress = { sent: 0 };
    const loading = exactLoad(loader, 'cx', () => stop, progress);

    let worker: number | null = null;
    let duringFull = 0;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker);
      const since = Date.now();
      await waitStatus(d, (s) => Date.parse(s.startedAt) >= since - 200 && (s.nodes[0].fullSync.startedAt !== null || s.state === 'Synchronizing'), 20_000, 'the full sync to start');
      await sleep(Math.floor(rnd() * 2000));
      if (d.status()?.state === 'Initializing') duringFull++;
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    proxy.slowDown({});
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the full-sync kills');

    const phase2From = progress.sent;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker);
      await sleep(300 + Math.floor(rnd() * 900));
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    const phase2 = progress.sent - phase2From;
    assert.ok(phase2 > 10_000, `the load was not running during the incremental kills (${phase2} commands)`);
    stop = true;
    const sent = await loading;
    loader.disconnect();
    await d.nextWorker(worker);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the kills');
    await caughtUp(d, src, 60_000);

    const cc = cluster.client();
    const diffs: string[] = [];
    let total = { counters: 0, elements: 0, appended: 0 };
    for (let k = 0; k < KEYS; k++) {
      const [s1, d1, s2, d2, s3, d3, s4, d4] = await Promise.all([
        c.get(`cx:c:${k}`), cc.get(`cx:c:${k}`),
        c.lrange(`cx:r:${k}`, 0, -1), cc.lrange(`cx:r:${k}`, 0, -1),
        c.lrange(`cx:l:${k}`, 0, -1), cc.lrange(`cx:l:${k}`, 0, -1),
        c.get(`cx:a:${k}`), cc.get(`cx:a:${k}`),
      ]);
      if (s1 !== d1) diffs.push(`cx:c:${k} source ${s1} destination ${d1}`);
      if (s2.join() !== d2.join()) diffs.push(`cx:r:${k} source ${s2.length} elements, destination ${d2.length}`);
      if (s3.join() !== d3.join()) diffs.push(`cx:l:${k} source ${s3.length} elements, destination ${d3.length}`);
      if (s4 !== d4) diffs.push(`cx:a:${k} source ${s4?.length} bytes, destination ${d4?.length}`);
      total = { counters: total.counters + Number(s1 ?? 0), elements: total.elements + s2.length + s3.length, appended: total.appended + (s4?.length ?? 0) };
    }
    console.log(`cluster destination: ${KILLS} kills in full sync (${duringFull} while Initializing), ${KILLS} in incremental; ${sent} commands (${phase2} during the incremental kills) (${total.counters} INCR, ${total.elements} RPUSH/LPUSH, ${total.appended} bytes appended); ${diffs.length} keys differ`);
    assert.deepEqual(diffs, []);
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await proxy.close();
    await cluster.stop();
    await src.stop();
  }
});
