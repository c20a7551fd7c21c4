// What a crash can replay into a cluster destination (at-least-once: no transactional checkpoint there): kill -9 of
// the worker under a load of INCR counters and RPUSH lists with unique elements. Nothing may be lost (each counter and
// list on the destination is at least the source's); what is replayed is measured and printed, not asserted to be 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep } from '../harness/redis';
import { prng } from '../harness/dataset';
import { taskSpec, startSupervised, waitStatus, caughtUp, countingLoad, removeStateDir } from './helpers';

const KILLS = 8;
const KEYS = 30;

test('kill -9 with a cluster destination: nothing lost; replayed INCR/RPUSH measured', { timeout: 120_000 }, async () => {
  const src = await startRedis({ config: { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '64mb' } });
  const cluster = await startCluster({ masters: 3 });
  const rnd = prng(77);
  const spec = taskSpec('kill9cluster', src, { addr: cluster.nodes[0] }, { databases: [0] });
  spec.destination = { mode: 'cluster', nodes: cluster.nodes };
  let d: Awaited<ReturnType<typeof startSupervised>> | null = null;
  try {
    await src.client().set('seed', '1');
    d = await startSupervised(spec, { supervisor: { crashLimit: 1000, restartMinMs: 50, restartMaxMs: 200 } });
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing');
    const counter = src.client().duplicate();
    let stop = false;
    const counting = countingLoad(counter, 'cx', KEYS, { durationMs: 60_000, maxCommands: 100_000, stop: () => stop });
    let worker: number | null = null;
    for (let i = 0; i < KILLS; i++) {
      worker = await d.nextWorker(worker);
      await sleep(300 + Math.floor(rnd() * 900));
      try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
    }
    stop = true;
    const sent = await counting;
    counter.disconnect();
    await d.nextWorker(worker);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing after the kills');
    await caughtUp(d, src, 60_000);
    const cc = cluster.client();
    let counters = { src: 0, dst: 0 };
    let elements = { src: 0, dst: 0 };
    const sc = src.client();
    await sc.select(0);
    for (let k = 0; k < KEYS; k++) {
      const [s1, d1, s2, d2] = await Promise.all([sc.get(`cx:c:${k}`), cc.get(`cx:c:${k}`), sc.llen(`cx:l:${k}`), cc.llen(`cx:l:${k}`)]);
      assert.ok(Number(d1 ?? 0) >= Number(s1 ?? 0), `counter cx:c:${k} lost writes: ${d1} < ${s1}`);
      assert.ok(d2 >= s2, `list cx:l:${k} lost elements: ${d2} < ${s2}`);
      counters = { src: counters.src + Number(s1 ?? 0), dst: counters.dst + Number(d1 ?? 0) };
      elements = { src: elements.src + s2, dst: elements.dst + d2 };
    }
    console.log(`cluster destination, ${KILLS} kills, ${sent} commands: replayed ${counters.dst - counters.src} of ${counters.src} INCR and ${elements.dst - elements.src} of ${elements.src} RPUSH`);
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await cluster.stop();
    await src.stop();
  }
});
