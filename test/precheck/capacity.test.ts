// Capacity planning: the full sync's duration from a measured copy rate, the source's write rate, and whether the
// backlog and the replica output buffer hold the writes of that time; a warning names the values to set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityItems, estimate, formatConfigBytes } from '../../provider/precheck/capacity-check';
import { parseReplicaBuffer, type CapacityFacts } from '../../provider/precheck/capacity-facts';
import { runPrechecks } from '../../provider/precheck/run-prechecks';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { taskSpec } from '../harness/sync';
import { startDaemon } from '../harness/daemon';

const MB = 1024 * 1024;

function facts(extra: Partial<CapacityFacts>): CapacityFacts {
  return {
    node: '10.0.0.5:6379', keys: 1_000_000, probe: { keys: 200, bytes: 200 * 1000, ms: 20 }, writeBytesPerSecond: 5 * MB, rateFrom: 'replication offset',
    replBacklogSize: 1 * MB, replicaBuffer: { hard: 256 * MB, soft: 64 * MB, softSeconds: 60 }, ...extra,
  };
}

test('estimates: 1M keys at a measured 10k keys/s take 100 s; 5 MB/s of writes need 800 MB; the value to set is 2gb', () => {
  const e = estimate(facts({}));
  assert.equal(Math.round(e.fullSyncSeconds), 100);
  assert.equal(e.datasetBytes, 1000 * 1_000_000);
  assert.equal(e.neededBytes, 5 * MB * 160);
  assert.equal(formatConfigBytes(e.suggestedBytes), '2gb');
  const [warn] = capacityItems([facts({})]);
  assert.equal(warn.result, 'warning');
  assert.match(warn.message, /full sync of ~1000000 keys \(~954 MB\) at ~9.5 MB\/s takes ~100 s; the source writes ~5\.0 MB\/s, ~800 MB over that time plus 60 s/);
  assert.match(warn.message, /repl-backlog-size \(1\.0 MB\) cannot hold them: run CONFIG SET repl-backlog-size 2gb/);
  assert.match(warn.message, /client-output-buffer-limit replica \(256 MB hard, 64 MB soft for 60 s\) would disconnect the task: run CONFIG SET client-output-buffer-limit "replica 2gb 2gb 0"/);
  const [ok] = capacityItems([facts({ replBacklogSize: 2048 * MB, replicaBuffer: { hard: 2048 * MB, soft: 2048 * MB, softSeconds: 0 } })]);
  assert.equal(ok.result, 'passed', ok.message);
  // An unlimited replica buffer (0 0 0) and an idle source pass.
  assert.equal(capacityItems([facts({ writeBytesPerSecond: 0 })])[0].result, 'passed');
  assert.deepEqual(parseReplicaBuffer('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60'), { hard: 268435456, soft: 67108864, softSeconds: 60 });
});

/** About 5 MB/s of SETs of 16 KB values until stopped (bounded by time all the same). */
function writeLoad(src: RedisServer): { stop(): Promise<void> } {
  const c = src.client().duplicate();
  const value = 'x'.repeat(16 * 1024);
  let stopped = false;
  const done = (async () => {
    for (let i = 0; i < 3000 && !stopped; i++) {
      const started = Date.now();
      const p = c.pipeline();
      for (let j = 0; j < 32; j++) p.set(`load:${j}`, value);
      await p.exec();
      await sleep(Math.max(0, 100 - (Date.now() - started)));
    }
  })();
  return { async stop() { stopped = true; await done; c.disconnect(); } };
}

test('a source with a 1 MB backlog under ~5 MB/s of writes warns with the values to set, and passes once they are set', async (t) => {
  const src = await startRedis({ config: { 'repl-backlog-size': '1mb' } });
  const dst = await startRedis();
  try {
    const p = src.client().pipeline();
    for (let i = 0; i < 5000; i++) p.set(`k:${i}`, `value-${i}`);
    await p.exec();
    const load = writeLoad(src);
    try {
      await sleep(300);
      const spec = taskSpec('capacity', src, dst);
      const first = (await runPrechecks(spec, { resuming: false })).find((i) => i.id === 'source-capacity')!;
      assert.equal(first.result, 'warning', first.message);
      const rate = Number(/the source writes ~([\d.]+) MB\/s \(its client input: no replica attached\)/.exec(first.message)?.[1]);
      assert.ok(rate > 2.5 && rate < 10, `measured ${rate} MB/s: ${first.message}`);
      const set = /CONFIG SET repl-backlog-size (\d+[mg]b)/.exec(first.message)?.[1];
      const cob = /CONFIG SET client-output-buffer-limit "([^"]+)"/.exec(first.message)?.[1];
      assert.ok(set && cob, first.message);
      t.diagnostic(first.message);
      await src.client().config('SET', 'repl-backlog-size', set);
      await src.client().config('SET', 'client-output-buffer-limit', cob);
      const second = (await runPrechecks(spec, { resuming: false })).find((i) => i.id === 'source-capacity')!;
      assert.equal(second.result, 'passed', second.message);
      assert.equal(await dst.client().dbsize(), 0, 'the copy probe left keys on the destination');
    } finally {
      await load.stop();
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('under ~5 MB/s of writes a source whose backlog and replica buffer are 1 MB fails the full sync again and again; with the values the precheck suggests it succeeds', { timeout: 300_000 }, async (t) => {
  const src = await startRedis({ config: { 'repl-backlog-size': '1mb', 'client-output-buffer-limit': 'replica 1mb 1mb 0', 'repl-diskless-sync-delay': '0' } });
  const dst = await startRedis();
  try {
    // ~45 MB of snapshot: its transfer takes seconds, while the writes queue for the replica.
    await src.client().call('DEBUG', 'POPULATE', '400000', 'big', '100');
    const load = writeLoad(src);
    try {
      await sleep(300);
      const spec = taskSpec('capacity-sync', src, dst);
      const item = (await runPrechecks(spec, { resuming: false })).find((i) => i.id === 'source-capacity')!;
      assert.equal(item.result, 'warning', item.message);
      const set = /CONFIG SET repl-backlog-size (\d+[mg]b)/.exec(item.message)?.[1];
      const cob = /CONFIG SET client-output-buffer-limit "([^"]+)"/.exec(item.message)?.[1];
      assert.ok(set && cob, item.message);
      const d = startDaemon(spec);
      try {
        // Before: the master drops the replica link when the queued writes pass 1 MB; every attempt starts over.
        const failing = await d.waitFor((s) => s.nodes[0]?.reconnects >= 2, 60_000, 'full syncs cut off by the output buffer limit');
        assert.notEqual(failing.state, 'Synchronizing', JSON.stringify(failing));
        t.diagnostic(`before: ${failing.nodes[0].reconnects} attempts cut off; last error: ${failing.lastError?.message ?? failing.nodes[0].lastError?.message}`);
        // After: the suggested values; the daemon's next attempt (its backoff has grown meanwhile) gets through.
        await src.client().config('SET', 'repl-backlog-size', set);
        await src.client().config('SET', 'client-output-buffer-limit', cob);
        await d.waitForState('Synchronizing', 120_000);
      } finally {
        await d.kill('SIGTERM');
      }
    } finally {
      await load.stop();
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
