// The cutover under a write load: writes paused on the source, the destination caught up, a verify at that point;
// the destination's counters equal the source's at the pause (read by the whilePaused hook), the source takes writes
// again as soon as it returns and the task keeps replicating them. A failed check unpauses the source and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { taskSpec, caughtUp } from '../harness/sync';
import { countingLoad, tally } from '../faults/helpers';
import { runCutover, CutoverError } from '../../provider/cutover/cutover';

test('cutover under load: CutOver with final offsets, equal counters at the pause, unpaused after the verify, the task goes on; a difference fails it and unpauses', async () => {
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
      let loaded = 0;
      try {
        r = await runCutover(spec, { pauseSeconds: 20, waitSeconds: 10 }, {
          // Still paused: the load cannot write, so both sides are read at the pause.
          whilePaused: async () => { [a, b] = await Promise.all([tally(src, 'cut', 100), tally(dst, 'cut', 100)]); },
        });
        // Unpaused on return: a write goes through at once.
        const t0 = Date.now();
        await src.client().set('after-cutover', '1');
        assert.ok(Date.now() - t0 < 1000, 'the source stayed paused after the cutover');
        await sleep(500);
      } finally {
        stop = true;
        await src.client().call('CLIENT', 'UNPAUSE');
        loaded = await load;
        loadClient.disconnect();
      }
      assert.equal(r.state, 'CutOver');
      assert.ok(a!.counters > 0 && a!.elements > 0, JSON.stringify(a));
      assert.deepEqual(b, a, 'destination counters differ from the source\'s at the pause');
      const [node] = Object.keys(r.sourceOffsets);
      assert.equal(node, src.addr);
      assert.ok(r.appliedOffsets[node] >= r.sourceOffsets[node], JSON.stringify(r));
      assert.equal(r.verify.consistent, true);
      assert.ok(r.verify.keysCompared >= 100, JSON.stringify(r.verify));
      // Paused for the catch-up and the verify, not for pauseSeconds.
      assert.ok(r.pauseMs > 0 && r.pauseMs <= r.catchUpMs + r.verify.durationMs + 1000, `pause ${r.pauseMs} ms, catch-up ${r.catchUpMs} ms, verify ${r.verify.durationMs} ms`);
      // The task kept replicating what the source took after the pause: every write of the load arrives, once.
      await caughtUp(d, src);
      const [fa, fb] = await Promise.all([tally(src, 'cut', 100), tally(dst, 'cut', 100)]);
      assert.ok(fa.counters + fa.elements > a!.counters + a!.elements, `the load wrote after the pause (${loaded} commands)`);
      assert.deepEqual(fb, fa, 'writes after the pause not replicated exactly');
      assert.equal(fa.counters + fa.elements, loaded, 'the source holds every command of the load');
      assert.equal(await dst.client().get('after-cutover'), '1');

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
