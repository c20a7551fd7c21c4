// The checkpoint belongs to the destination it describes: a destination that comes back without it and with foreign
// keys is refused, not merged into; and a task's own keys are never carried downstream by another task (cascade).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { startDaemon, exitedWithin } from '../harness/daemon';
import { taskSpec, caughtUp, assertConsistent, tally, countingLoad, removeStateDir } from '../faults/helpers';

test('a destination that comes back without the checkpoint and with foreign keys is refused: nothing is merged', { timeout: 120_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const spec = taskSpec('comeback', src, dst);
  const first = startDaemon(spec);
  try {
    await first.waitForState('Synchronizing');
    await src.client().set('k', 'v');
    await caughtUp(first, src);
    await first.kill('SIGTERM');
    // The server is replaced by one holding someone else's data.
    const d = dst.client();
    await d.flushall();
    for (let i = 0; i < 500; i++) await d.set(`foreign:${i}`, 'x');
    const again = startDaemon(spec, { stateDir: first.stateDir });
    const code = await exitedWithin(again, 60_000);
    assert.equal(code, 1, again.output());
    assert.match(again.output(), /no longer holds task comeback's checkpoint but holds 500 keys/);
    const keys = await d.keys('*');
    assert.deepEqual(keys.filter((k) => !k.startsWith('foreign:')), ['redis-sync:status:{comeback}'], 'only the task\'s status was written');
    assert.match((await d.get('redis-sync:status:{comeback}'))!, /"state":"Failed"/, 'the status, readable from anywhere, says why');
    assert.equal(await d.exists('k'), 0);
  } finally {
    await first.kill('SIGKILL');
    removeStateDir(first.stateDir);
    await src.stop();
    await dst.stop();
  }
});

test('cascade A -> B -> C: C holds only its own task\'s redis-sync keys, and counters are exact at both hops', { timeout: 120_000 }, async () => {
  const a = await startRedis();
  const b = await startRedis();
  const c = await startRedis();
  const ab = taskSpec('hop1', a, b);
  const bc = taskSpec('hop2', b, c);
  const d1 = startDaemon(ab);
  const d2 = startDaemon(bc);
  try {
    await d1.waitForState('Synchronizing');
    await d2.waitForState('Synchronizing');
    const sent = await countingLoad(a.client(), 'cc', 20, { durationMs: 20_000, maxCommands: 2000, batch: 10 });
    await caughtUp(d1, a);
    await caughtUp(d2, b);
    const ta = await tally(a, 'cc', 20);
    assert.equal(ta.counters + ta.elements, sent);
    assert.deepEqual(await tally(b, 'cc', 20), ta);
    assert.deepEqual(await tally(c, 'cc', 20), ta);
    const internal = await c.client().keys('redis-sync:*');
    assert.ok(internal.length > 0, 'hop2 keeps its checkpoint, lease and status on C');
    assert.deepEqual(internal.filter((k) => !k.includes('hop2')), [], `hop1's keys reached C: ${internal.join(', ')}`);
    await assertConsistent(ab);
    await assertConsistent(bc);
  } finally {
    await d2.kill('SIGTERM');
    await d1.kill('SIGTERM');
    removeStateDir(d1.stateDir);
    removeStateDir(d2.stateDir);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
});
