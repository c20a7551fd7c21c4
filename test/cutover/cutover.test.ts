// The cutover under a write load: writes paused on the source, the destination caught up, a verify at that point;
// the destination's counters equal the source's at the pause. A failed check unpauses the source and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { taskSpec, caughtUp } from '../harness/sync';
import { countingLoad, tally } from '../faults/helpers';
import { runCutover, CutoverError } from '../../provider/cutover/cutover';

test('cutover under load: CutOver with final offsets, equal counters at the pause; a difference fails it and unpauses', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const spec = taskSpec('cutover', src, dst);
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 60_000);
      await caughtUp(d, src);
      const loadClient = src.client().duplicate();
      let stop = false;
      const load = countingLoad(loadClient, 'cut', 100, { durationMs: 60_000, maxCommands: 1_000_000, stop: () => stop });
      await sleep(1500);
      let r;
      let a;
      let b;
      try {
        r = await runCutover(spec, { pauseSeconds: 20, waitSeconds: 10 });
        // Still paused: the load cannot write, so both sides are read at the pause.
        [a, b] = await Promise.all([tally(src, 'cut', 100), tally(dst, 'cut', 100)]);
      } finally {
        stop = true;
        await src.client().call('CLIENT', 'UNPAUSE');
        await load;
        loadClient.disconnect();
      }
      assert.equal(r.state, 'CutOver');
      assert.ok(a.counters > 0 && a.elements > 0, JSON.stringify(a));
      assert.deepEqual(b, a, 'destination counters differ from the source\'s at the pause');
      const [node] = Object.keys(r.sourceOffsets);
      assert.equal(node, src.addr);
      assert.ok(r.appliedOffsets[node] >= r.sourceOffsets[node], JSON.stringify(r));
      assert.equal(r.verify.consistent, true);
      assert.ok(r.verify.keysCompared >= 100, JSON.stringify(r.verify));
      assert.ok(r.pauseMs > 0 && r.pauseMs < 20_000, `pause ${r.pauseMs} ms`);

      // A key changed on the destination: the final verify fails the cutover, and the source takes writes again.
      await caughtUp(d, src);
      await dst.client().set('cut:c:4', '-1');
      await assert.rejects(runCutover(spec, { pauseSeconds: 20, waitSeconds: 10 }), (e: Error) => e instanceof CutoverError && /final verify found 1 differences.*"cut:c:4" value/.test(e.message));
      const t0 = Date.now();
      await src.client().set('after-failed-cutover', '1');
      assert.ok(Date.now() - t0 < 1000, 'the source stayed paused after a failed cutover');
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
