// The daemon's periodic sampled verify (input verify): its last result in the status and the metrics, consistent
// under a running task, then the drift of a key changed on the destination behind the task's back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, freePort } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { taskSpec, caughtUp } from '../harness/sync';

test('verify.everyMinutes: the last periodic verify is in the status and the metrics, and finds drift', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const p = src.client().pipeline();
    for (let i = 0; i < 500; i++) p.set(`k:${i}`, `v${i}`);
    await p.exec();
    const port = await freePort();
    const spec = taskSpec('drift', src, dst, { verify: { everyMinutes: 0.05, sample: 1 }, metrics: { port } });
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 60_000);
      await caughtUp(d, src);
      const ok = await d.waitFor((s) => !!s.lastVerify, 20_000, 'a first periodic verify');
      assert.equal(ok.lastVerify!.error, null);
      assert.equal(ok.lastVerify!.consistent, true, JSON.stringify(ok.lastVerify));
      assert.equal(ok.lastVerify!.keysCompared, 500);
      await dst.client().set('k:7', 'changed behind the task');
      const at = ok.lastVerify!.at;
      const drift = await d.waitFor((s) => !!s.lastVerify && s.lastVerify.at !== at && !s.lastVerify.consistent, 20_000, 'a verify that finds the drift');
      assert.equal(drift.lastVerify!.differences, 1);
      assert.deepEqual(drift.lastVerify!.firstDifferences.map((x) => [x.key, x.problem]), [['k:7', 'value']]);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(text, /^redis_sync_verify_consistent\{task="drift"\} 0$/m);
      assert.match(text, /^redis_sync_verify_differences\{task="drift"\} 1$/m);
      assert.match(text, /^redis_sync_verify_keys_compared\{task="drift"\} 500$/m);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
