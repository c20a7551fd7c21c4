// The migration moment declared: up, a write load, then the cutover input set and up again: the task reports CutOver
// with the final offsets, pause and verify; the destination's counters equal the source's at the pause.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, TASK_PROGRAM } from '../harness/pulumi';
import { countingLoad, tally } from '../faults/helpers';

before(() => { pulumiBinDir(); });

interface CutoverOutput { state: string; sourceOffsets: Record<string, number>; appliedOffsets: Record<string, number>; pauseMs: number; verify: { consistent: boolean; keysCompared: number } }

test('cutover input: up, load, cutover, up: CutOver with offsets and verify, equal counters at the pause, the task stopped', async () => {
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
    // The source is still paused: both sides are read at the pause.
    const [a, b] = await Promise.all([tally(src, 'cut', 100), tally(dst, 'cut', 100)]);
    const [out] = await taskOutputs(p);
    assert.equal(out.state, 'CutOver', up.stdout);
    const r = out.cutoverResult as CutoverOutput;
    assert.equal(r.state, 'CutOver');
    assert.ok(r.appliedOffsets[src.addr] >= r.sourceOffsets[src.addr] && r.sourceOffsets[src.addr] > 0, JSON.stringify(r));
    assert.equal(r.verify.consistent, true);
    assert.ok(r.pauseMs > 0 && r.pauseMs < 120_000);
    assert.ok(a.counters > 0, JSON.stringify(a));
    assert.deepEqual(b, a, 'destination counters differ from the source\'s at the pause');
    assert.equal(out.daemonRunning, false, 'the task goes on after its cutover');
    // A refresh and an up with the same inputs keep it cut over (no daemon restarted).
    await p.run(['refresh', '--yes', '--skip-preview']);
    await p.run(['up', '--yes', '--skip-preview']);
    const [again] = await taskOutputs(p);
    assert.equal(again.state, 'CutOver');
    assert.equal(again.daemonRunning, false);
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
