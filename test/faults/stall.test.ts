// A destination that stops answering (a stalled proxy: the TCP connection stays up, nothing comes back) is a lost
// connection too: after the reply timeout the task goes to Retrying naming the destination, and resumes when it
// answers again, with nothing lost or doubled. A slow link (latency and a byte-rate limit) only slows the task down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { FaultProxy } from '../harness/fault-proxy';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { taskSpec, waitStatus, resumedWithContinue, caughtUp, assertConsistent, tally, countingLoad } from './helpers';

const FAST_SOURCE = { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '64mb' };

test('a stalled destination: Retrying after the reply timeout, naming it; resumes with +CONTINUE when it answers', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  const dstProxy = await FaultProxy.start(dst);
  let d: Daemon | null = null;
  const before = process.env.REDIS_SYNC_REPLY_TIMEOUT_MS;
  process.env.REDIS_SYNC_REPLY_TIMEOUT_MS = '2000'; // inherited by the daemon; the default is 60 s
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('stalldst', src, { addr: dstProxy.addr });
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    dstProxy.stall();
    const stalledAt = Date.now();
    const counter = c.duplicate();
    const counting = countingLoad(counter, 'st', 10, { durationMs: 2000, maxCommands: 4000 });
    const r = await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying on the stalled destination');
    assert.match(r.lastError?.message ?? '', /destination .* no reply for 2000 ms/);
    assert.equal(r.lastError?.node, dstProxy.addr);
    assert.ok(Date.now() - stalledAt < 10_000);
    await counting;
    counter.disconnect();
    await sleep(1000);
    dstProxy.unstall();
    await resumedWithContinue(d, 40_000, 'Synchronizing after the stall');
    await caughtUp(d, src);
    assert.deepEqual(await tally(dst, 'st', 10), await tally(src, 'st', 10));
    await assertConsistent(spec, 20);
  } finally {
    if (before === undefined) delete process.env.REDIS_SYNC_REPLY_TIMEOUT_MS;
    else process.env.REDIS_SYNC_REPLY_TIMEOUT_MS = before;
    await d?.kill('SIGTERM');
    await dstProxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a stalled source link: Retrying after the read timeout, naming the source; +CONTINUE once it flows again', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: { ...FAST_SOURCE, 'repl-ping-replica-period': '1' } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  let d: Daemon | null = null;
  const before = process.env.REDIS_SYNC_READ_TIMEOUT_MS;
  process.env.REDIS_SYNC_READ_TIMEOUT_MS = '3000'; // inherited by the daemon; the default is 60 s
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('stallsrc', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    proxy.stall();
    for (let i = 0; i < 100; i++) await c.rpush('during-stall', `e${i}`);
    const r = await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying on the stalled source');
    assert.match(r.lastError?.message ?? '', /no data from source .* for 3000 ms/);
    assert.equal(r.lastError?.node, proxy.addr);
    proxy.unstall();
    await resumedWithContinue(d, 40_000, 'Synchronizing after the stall');
    await caughtUp(d, src);
    assert.equal(await dst.client().llen('during-stall'), 100);
    await assertConsistent(spec, 20);
  } finally {
    if (before === undefined) delete process.env.REDIS_SYNC_READ_TIMEOUT_MS;
    else process.env.REDIS_SYNC_READ_TIMEOUT_MS = before;
    await d?.kill('SIGTERM');
    await proxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a slow link (50 ms latency, 200 KB/s) to the source: the task keeps up, consistent', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    proxy.slowDown({ delayMs: 50, bytesPerSec: 200_000 });
    const spec = taskSpec('slow', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    const load = c.duplicate();
    await runMixedLoad(load, { dbs: [0, 1], durationMs: 2000, maxCommands: 4000, seed: 13 });
    load.disconnect();
    await caughtUp(d, src, 30_000);
    await assertConsistent(spec, 20);
  } finally {
    await d?.kill('SIGTERM');
    await proxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});
