// Online verify while the task runs under a steady mixed write load: no false alarm (writes in flight are rechecked at
// the task's applied offsets), every key changed behind the task's back is found with both sides and the offsets, and
// --repair copies them again so that a second verify is consistent, the load still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { runMixedLoad } from '../harness/dataset';
import { taskSpec, caughtUp } from '../harness/sync';
import { verifyTask } from '../../provider/verify/verify-task';
import type { Problem, VerifyReport } from '../../provider/verify/report';

const BASE_KEYS = 2000;

/** A steady load on the load:* keys until stopped (bounded by time and count all the same). */
function steadyLoad(src: RedisServer): { stop(): Promise<number> } {
  const c = src.client().duplicate();
  let stopped = false;
  const done = (async () => {
    let sent = 0;
    for (let i = 0; i < 10_000 && !stopped; i++) {
      sent += await runMixedLoad(c, { dbs: [0], durationMs: 200, maxCommands: 400, seed: i + 1, batch: 20 });
      await sleep(10);
    }
    return sent;
  })();
  return { async stop() { stopped = true; const n = await done; c.disconnect(); return n; } };
}

/** 100 keys changed on the destination only: 20 of each kind of difference. */
async function tamper(dst: RedisServer): Promise<Map<string, Problem>> {
  const d = dst.client();
  const want = new Map<string, Problem>();
  for (let i = 0; i < 20; i++) {
    await d.set(`base:s:${i}`, 'tampered'); want.set(`base:s:${i}`, 'value');
    await d.del(`base:s:${100 + i}`); await d.sadd(`base:s:${100 + i}`, 'x'); want.set(`base:s:${100 + i}`, 'type');
    await d.pexpire(`base:s:${200 + i}`, 9_000_000); want.set(`base:s:${200 + i}`, 'ttl');
    await d.del(`base:h:${i}`); want.set(`base:h:${i}`, 'missing on destination');
    await d.set(`stray:${i}`, 'only here'); want.set(`stray:${i}`, 'extra on destination');
  }
  return want;
}

function problems(r: VerifyReport): Map<string, Problem> {
  return new Map(r.firstMismatches.map((m) => [m.key, m.problem]));
}

test('online verify under a write load: zero false alarms, all 100 tampered keys found, repaired, then consistent', async (t) => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const p = src.client().pipeline();
    for (let i = 0; i < BASE_KEYS; i++) { p.set(`base:s:${i}`, `v${i}`); p.hset(`base:h:${i}`, 'a', i, 'b', 'x'); }
    await p.exec();
    const spec = taskSpec('online-verify', src, dst);
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 60_000);
      await caughtUp(d, src);
      const load = steadyLoad(src);
      try {
        await sleep(500);
        const clean = await verifyTask(spec);
        assert.equal(clean.online, true);
        assert.deepEqual(clean.firstMismatches, [], 'false alarm under load');
        assert.equal(clean.consistent, true);
        assert.ok(clean.keysCompared >= 2 * BASE_KEYS, `compared ${clean.keysCompared}`);

        const want = await tamper(dst);
        const bad = await verifyTask(spec, { maxMismatches: 1000 });
        assert.equal(bad.consistent, false);
        assert.deepEqual(
          [bad.valueMismatches, bad.typeMismatches, bad.ttlMismatches, bad.missingOnDestination, bad.extraOnDestination],
          [20, 20, 20, 20, 20], JSON.stringify(bad.firstMismatches.filter((m) => !want.has(m.key))));
        assert.deepEqual(problems(bad), want);
        const m = bad.firstMismatches.find((x) => x.key === 'base:s:3')!;
        assert.match(m.source ?? '', /^string 2 bytes "v3" PTTL -1$/);
        assert.match(m.destination ?? '', /^string 8 bytes "tampered"/);
        assert.ok(m.sourceOffset! > 0 && m.destinationOffset! >= m.sourceOffset!, JSON.stringify(m));

        const fixed = await verifyTask(spec, { repair: true, maxMismatches: 1000 });
        assert.equal(fixed.repair?.failed, 0, JSON.stringify(fixed.repair?.firstFailures));
        assert.equal(fixed.repair?.repaired, 100);
        assert.equal(fixed.repair?.firstRepaired.filter((x) => x.action === 'deleted').length, 20);
        assert.equal(await dst.client().exists('stray:0'), 0);
        assert.equal(await dst.client().pttl('base:s:200'), -1);

        const again = await verifyTask(spec);
        assert.deepEqual(again.firstMismatches, []);
        assert.equal(again.consistent, true);

        // Keys the first pass saw differ and the recheck found equal once applied: without it, false alarms.
        for (const [name, r] of Object.entries({ clean, bad, fixed, again })) t.diagnostic(`${name}: ${r.keysCompared} keys in ${r.durationMs} ms, ${r.inFlight} in flight, ${r.unsettled} unsettled`);
        const sampled = await verifyTask(spec, { sample: 500 });
        assert.equal(sampled.consistent, true);
        assert.ok(sampled.keysCompared >= 300 && sampled.keysCompared <= 1500, `sampled ${sampled.keysCompared}`);
      } finally {
        const sent = await load.stop();
        assert.ok(sent > 1000, `load sent only ${sent}`);
      }
    } finally {
      await d.kill('SIGTERM');
    }
    // The task stopped: a key written since cannot reach the destination; it is not compared at a settled point.
    await src.client().set('base:s:5', 'late');
    const stopped = await verifyTask(spec, { applyTimeoutMs: 2000 });
    assert.deepEqual(stopped.firstMismatches, []);
    assert.deepEqual(stopped.firstUnsettled?.map((u) => u.key), ['base:s:5']);
    assert.match(stopped.firstUnsettled![0].reason, /^the task is Stopped: its destination stays at offset \d+ of 127\.0\.0\.1:\d+, not \d+$/);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
