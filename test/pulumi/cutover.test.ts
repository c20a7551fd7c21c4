// The migration moment declared: up, a write load, then the cutover input set and up again: the task reports CutOver
// with the final offsets, pause and verify; the source was paused only for the catch-up and the verify, and the
// destination holds the source's state at the pause. Without reverse the task keeps replicating what the source takes
// afterwards; with reverse it stops at the pause and the reverse task carries the destination's writes back.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep, type RedisServer } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, TASK_PROGRAM } from '../harness/pulumi';
import { countingLoad, recordedLoad, prefixTotalsWithin, tally } from '../faults/helpers';

before(() => { pulumiBinDir(); });

interface CutoverOutput {
  state: string; at: string; sourceOffsets: Record<string, number>; appliedOffsets: Record<string, number>; pauseMs: number; catchUpMs: number;
  verify: { consistent: boolean; keysCompared: number; durationMs: number };
  reverse?: { taskId: string; from: Record<string, { replid: string; offset: number }> };
}
interface ReverseOutput { taskId: string; state: string; daemonRunning: boolean }

/** Waits (bounded) until both sides hold the same counters under `prefix`. */
async function converged(a: RedisServer, b: RedisServer, prefix: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const [x, y] = await Promise.all([tally(a, prefix, 100), tally(b, prefix, 100)]);
    if (x.counters === y.counters && x.elements === y.elements) return;
    await sleep(200);
  }
  assert.deepEqual(await tally(b, prefix, 100), await tally(a, prefix, 100), `${prefix}: not converged within ${timeoutMs} ms`);
}

function checkPause(r: CutoverOutput): void {
  console.log(`# paused ${r.pauseMs} ms: catch-up ${r.catchUpMs} ms, verify ${r.verify.durationMs} ms of ${r.verify.keysCompared} keys`);
  assert.equal(r.state, 'CutOver');
  assert.equal(r.verify.consistent, true);
  // Paused for the catch-up (the lag) and the verify, plus the task's stop with reverse: not for pauseSeconds.
  assert.ok(r.pauseMs > 0 && r.pauseMs <= r.catchUpMs + r.verify.durationMs + 5000, `pause ${r.pauseMs} ms, catch-up ${r.catchUpMs} ms, verify ${r.verify.durationMs} ms`);
}

test('cutover input: up, load, cutover, up: CutOver, paused for the lag and the verify, the task keeps replicating until destroyed', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const p = createProject('cutover', TASK_PROGRAM);
  const loadClient = src.client().duplicate();
  let stop = false;
  let load: Promise<number> | null = null;
  try {
    await p.run(['stack', 'init', 'dev']);
    const args = { source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    await p.setConfig('taskArgs', JSON.stringify(args));
    await p.run(['up', '--yes', '--skip-preview']);
    load = countingLoad(loadClient, 'cut', 100, { durationMs: 120_000, maxCommands: 5_000_000, stop: () => stop });
    await sleep(1000);
    await p.setConfig('taskArgs', JSON.stringify({ ...args, cutover: { pauseSeconds: 120, waitSeconds: 20 } }));
    const up = await p.run(['up', '--yes', '--skip-preview']);
    const [out] = await taskOutputs(p);
    assert.equal(out.state, 'CutOver', up.stdout);
    const r = out.cutoverResult as CutoverOutput;
    checkPause(r);
    assert.ok(r.appliedOffsets[src.addr] >= r.sourceOffsets[src.addr] && r.sourceOffsets[src.addr] > 0, JSON.stringify(r));
    assert.equal(out.daemonRunning, true, 'the task stopped at its cutover');
    assert.equal(out.reverseTask, null);
    // The source takes writes again, and the task carries them: every command of the load arrives, once.
    await sleep(500);
    stop = true;
    const sent = await load;
    load = null;
    await converged(src, dst, 'cut');
    const a = await tally(src, 'cut', 100);
    assert.equal(a.counters + a.elements, sent);
    // A refresh and an up with the same inputs keep it cut over and running.
    await p.run(['refresh', '--yes', '--skip-preview']);
    await p.run(['up', '--yes', '--skip-preview']);
    const [again] = await taskOutputs(p);
    assert.equal(again.state, 'CutOver');
    assert.equal(again.daemonRunning, true);
  } finally {
    stop = true;
    await src.client().call('CLIENT', 'UNPAUSE').catch(() => undefined);
    await load;
    loadClient.disconnect();
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('cutover with reverse: the destination holds the source at the pause, the reverse task carries its writes back with no full sync; destroy removes both', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const p = createProject('cutover-reverse', TASK_PROGRAM);
  const loadClient = src.client().duplicate();
  const appClient = dst.client().duplicate();
  let stop = false;
  let load: ReturnType<typeof recordedLoad> | null = null;
  try {
    await p.run(['stack', 'init', 'dev']);
    const args = { source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    await p.setConfig('taskArgs', JSON.stringify(args));
    await p.run(['up', '--yes', '--skip-preview']);
    load = recordedLoad(loadClient, 'cut', 100, { durationMs: 120_000, maxCommands: 5_000_000, stop: () => stop });
    await sleep(1000);
    await p.setConfig('taskArgs', JSON.stringify({ ...args, cutover: { pauseSeconds: 120, waitSeconds: 20, reverse: true } }));
    const up = await p.run(['up', '--yes', '--skip-preview']);
    // The clients switch to the new primary: the load on the old one stops.
    stop = true;
    const batches = await load;
    load = null;
    const [out] = await taskOutputs(p);
    assert.equal(out.state, 'CutOver', up.stdout);
    const r = out.cutoverResult as CutoverOutput;
    checkPause(r);
    assert.equal(out.daemonRunning, false, 'the task still runs beside its reverse task');
    const rev = out.reverseTask as ReverseOutput;
    assert.ok(r.reverse && rev && rev.taskId === r.reverse.taskId, JSON.stringify({ r, rev }));
    assert.equal(rev.daemonRunning, true, JSON.stringify(rev));
    // The task stopped while the source was paused: the destination holds the source after a prefix of the load that
    // ends inside the pause, no command lost or doubled.
    const resumedAt = Date.parse(r.at);
    const pausedAt = resumedAt - r.pauseMs;
    const d = await tally(dst, 'cut', 100);
    const cuts = prefixTotalsWithin(batches, pausedAt - 50, resumedAt + 50);
    assert.ok(cuts.some((c) => c.counters === d.counters && c.elements === d.elements), `destination ${JSON.stringify(d)} is no state of the source inside the pause: ${JSON.stringify(cuts)}`);
    assert.ok(d.counters > 0);
    // The new primary's writes come back to the old one, from where the reverse task started: no full sync.
    const s0 = await tally(src, 'cut', 100);
    const sent = await countingLoad(appClient, 'rev', 100, { durationMs: 60_000, maxCommands: 4000 });
    await converged(dst, src, 'rev');
    const back = await tally(src, 'rev', 100);
    assert.equal(back.counters + back.elements, sent);
    assert.deepEqual(await tally(src, 'cut', 100), s0, 'the reverse task rewrote the old source\'s keys (a full sync?)');
    const info = await src.client().info('keyspace');
    assert.ok(/db0:keys=/.test(info));
    // Refresh shows it; an up with other inputs is refused while the reverse runs.
    await p.run(['refresh', '--yes', '--skip-preview']);
    const [again] = await taskOutputs(p);
    assert.equal((again.reverseTask as ReverseOutput).state, 'Synchronizing');
    const streams = (again.reverseTask as { streams: Array<{ lastSync: string | null }> }).streams;
    assert.deepEqual(streams.map((st) => st.lastSync), ['continue'], 'the reverse task synced in full');
    await p.setConfig('taskArgs', JSON.stringify({ ...args, heartbeat: { intervalMs: 200 }, cutover: { pauseSeconds: 120, waitSeconds: 20, reverse: true } }));
    const refused = await p.run(['up', '--yes', '--skip-preview'], { allowFail: true });
    assert.match(refused.stdout + refused.stderr, /cut over with reverse.*cannot change or run again/s);
  } finally {
    stop = true;
    await src.client().call('CLIENT', 'UNPAUSE').catch(() => undefined);
    await load;
    loadClient.disconnect();
    appClient.disconnect();
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
  }
  try {
    // Both tasks gone: none of redis-sync's keys stays on either server.
    for (const s of [src, dst]) assert.deepEqual(await s.client().keys('redis-sync:*'), [], `${s.addr} keeps redis-sync keys`);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('cutover with reverse from a standalone source into a 3-master cluster: the reverse task has a stream per cluster master, each continued from its offset, and carries writes over every slot back exactly', async () => {
  const src = await startRedis();
  const dst = await startCluster({ masters: 3 });
  const p = createProject('cutover-reverse-cluster', TASK_PROGRAM);
  try {
    await p.run(['stack', 'init', 'dev']);
    const args = {
      source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'cluster', nodes: [dst.masters[0].addr] },
      databases: [0], heartbeat: { intervalMs: 100 },
    };
    await src.client().set('before', 'cutover');
    await p.setConfig('taskArgs', JSON.stringify(args));
    await p.run(['up', '--yes', '--skip-preview']);
    await p.setConfig('taskArgs', JSON.stringify({ ...args, cutover: { pauseSeconds: 60, waitSeconds: 20, reverse: true } }));
    const up = await p.run(['up', '--yes', '--skip-preview']);
    const [out] = await taskOutputs(p);
    assert.equal(out.state, 'CutOver', up.stdout);
    const r = out.cutoverResult as CutoverOutput;
    checkPause(r);
    assert.equal(Object.keys(r.reverse?.from ?? {}).length, 3, JSON.stringify(r.reverse));
    const rev = out.reverseTask as ReverseOutput & { streams: Array<{ lastSync: string | null }> };
    assert.equal(rev.daemonRunning, true, JSON.stringify(rev));
    // A key only the old source has: a full sync from the new primary would delete it.
    await src.client().set('only-on-old', '1');
    // Writes on the new primary over every slot (no hash tags): counters and lists, then exactly those on the old one.
    const cl = dst.client();
    let sent = 0;
    for (let i = 0; i < 3000; i++, sent++) {
      if (i % 2 === 0) await cl.incr(`rev:c:${i % 100}`);
      else await cl.rpush(`rev:l:${i % 100}`, `e${i}`);
    }
    const deadline = Date.now() + 30_000;
    let back = await tally(src, 'rev', 100);
    for (let i = 0; i < 300 && Date.now() < deadline && back.counters + back.elements < sent; i++) {
      await sleep(100);
      back = await tally(src, 'rev', 100);
    }
    assert.equal(back.counters + back.elements, sent, 'the reverse task lost or doubled writes');
    await p.run(['refresh', '--yes', '--skip-preview']);
    const [again] = await taskOutputs(p);
    const streams = (again.reverseTask as { streams: Array<{ lastSync: string | null }> }).streams;
    assert.equal(streams.length, 3);
    assert.ok(streams.every((st) => st.lastSync === 'continue'), `every stream continued, none synced in full: ${JSON.stringify(streams)}`);
    assert.equal(await src.client().get('only-on-old'), '1', 'the old source was synced in full from the new primary');
    assert.equal(await src.client().get('before'), 'cutover');
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
  }
  try {
    assert.deepEqual(await src.client().keys('redis-sync:*'), []);
    for (const m of dst.masters) assert.deepEqual(await m.client().keys('redis-sync:*'), [], `${m.addr} keeps redis-sync keys`);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
