// Network cuts through the fault proxy: a 10 s cut of the source link resumes with +CONTINUE, a cut that outlasts the
// backlog gives a full sync, and the retry window (connectionRetryMinutes) ends in Failed naming the node, while an
// outage that was recovered from does not count against the next one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { FaultProxy } from '../harness/fault-proxy';
import { fillEveryType } from '../harness/dataset';
import { taskSpec, waitStatus, resumedWithContinue, caughtUp, assertConsistent } from './helpers';

const FAST_SOURCE = { 'repl-diskless-sync-delay': '0' };

async function servers(srcConfig: Record<string, string>): Promise<{ src: RedisServer; dst: RedisServer; proxy: FaultProxy; stop(): Promise<void> }> {
  const src = await startRedis({ config: { ...FAST_SOURCE, ...srcConfig } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  return { src, dst, proxy, async stop() { await proxy.close(); await Promise.all([src.stop(), dst.stop()]); } };
}

test('source link cut for 10 s: Retrying names the node and since when, then +CONTINUE and nothing lost', { timeout: 90_000 }, async () => {
  const { src, dst, proxy, stop } = await servers({ 'repl-backlog-size': '64mb' });
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('cut10', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    await c.set('before-cut', '1');
    await caughtUp(d, src);
    const cutAt = Date.now();
    await proxy.cut(10_000);
    const retrying = await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying');
    assert.equal(retrying.nodes[0].state, 'Retrying');
    assert.ok(retrying.nodes[0].retryingSince && Date.parse(retrying.nodes[0].retryingSince) >= cutAt - 1000, `retryingSince ${retrying.nodes[0].retryingSince}`);
    assert.equal(retrying.lastError?.node, proxy.addr, `the error names the source node: ${JSON.stringify(retrying.lastError)}`);
    for (let i = 0; i < 200; i++) await c.rpush('during-cut', `e${i}`);
    await c.incrby('counter', 5);
    await resumedWithContinue(d, 40_000, 'Synchronizing after the cut', 'within the backlog the link resumes with +CONTINUE');
    assert.ok(Date.now() - cutAt >= 10_000);
    await caughtUp(d, src);
    assert.equal(await dst.client().llen('during-cut'), 200);
    await assertConsistent(spec, 20);
    assert.match(d.output() + (await readLog(d)), /\+CONTINUE/);
  } finally {
    await d?.kill('SIGTERM');
    await stop();
  }
});

test('a cut while the backlog is overrun gives a full sync; keys deleted meanwhile do not survive', { timeout: 60_000 }, async () => {
  const { src, dst, proxy, stop } = await servers({ 'repl-backlog-size': '16kb' });
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await c.rpush('list', 'a', 'b');
    await c.set('doomed', 'x');
    const spec = taskSpec('overrun', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    await caughtUp(d, src);
    await proxy.cut(3000);
    await c.del('doomed');
    await c.rpush('list', 'c');
    for (let i = 0; i < 30; i++) await c.set(`filler:${i}`, 'f'.repeat(4096)); // 120 KiB > the 16 KiB backlog
    const st = await waitStatus(d, (s) => s.state === 'Synchronizing' && s.nodes[0].reconnects > 0 && s.nodes[0].lastSync === 'full', 40_000, 'a full sync after the cut');
    assert.equal(st.nodes[0].lastSync, 'full');
    await caughtUp(d, src);
    assert.equal(await dst.client().exists('doomed'), 0);
    assert.deepEqual(await dst.client().lrange('list', 0, -1), ['a', 'b', 'c']);
    await assertConsistent(spec, 30);
  } finally {
    await d?.kill('SIGTERM');
    await stop();
  }
});

test('the retry window: a recovered outage does not count against the next; an outage longer than connectionRetryMinutes fails naming the node', { timeout: 90_000 }, async () => {
  const { src, dst, proxy, stop } = await servers({ 'repl-backlog-size': '64mb' });
  const dstProxy = await FaultProxy.start(dst);
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await c.set('k', 'v');
    // 0.1 min = 6 s of retrying.
    const spec = taskSpec('window', { addr: proxy.addr }, { addr: dstProxy.addr }, { connectionRetryMinutes: 0.1 });
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    // Outage 1 (source, 2 s), recovered; then 7 s of health; outage 2 (destination, 2 s) must be retried too.
    await proxy.cut(2000);
    await waitStatus(d, (s) => s.state === 'Retrying', 10_000, 'Retrying (source)');
    await waitStatus(d, (s) => s.state === 'Synchronizing', 20_000, 'Synchronizing after outage 1');
    await sleep(7000);
    await dstProxy.cut(2000);
    const r2 = await waitStatus(d, (s) => s.state === 'Retrying', 10_000, 'Retrying (destination)');
    assert.equal(r2.lastError?.node, dstProxy.addr, `the error names the destination: ${JSON.stringify(r2.lastError)}`);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 20_000, 'Synchronizing after outage 2 (a recovered outage must not count)');
    await c.set('after-outages', '1');
    await caughtUp(d, src);
    await assertConsistent(spec, 1);

    // Outage 3: the source is gone for good.
    const downAt = Date.now();
    await proxy.down();
    const failed = await waitStatus(d, (s) => s.state === 'Failed', 30_000, 'Failed after the retry window');
    const took = Date.now() - downAt;
    assert.ok(took >= 6000 && took < 25_000, `failed after ${took} ms`);
    assert.match(failed.lastError?.message ?? '', /gave up after retrying for [\d.]+ s \(connectionRetryMinutes: 0.1\)/);
    assert.match(failed.lastError?.message ?? '', new RegExp(proxy.addr.replace(/\./g, '\\.')));
    assert.equal(failed.lastError?.node, proxy.addr);
    assert.equal(await d.exited(), 1);
  } finally {
    await d?.kill('SIGTERM');
    await dstProxy.close();
    await stop();
  }
});

test('the destination gone for longer than connectionRetryMinutes: Failed naming the destination', { timeout: 60_000 }, async () => {
  const { src, dst, stop } = await servers({});
  const dstProxy = await FaultProxy.start(dst);
  let d: Daemon | null = null;
  try {
    await src.client().set('k', 'v');
    const spec = taskSpec('dstgone', src, { addr: dstProxy.addr }, { connectionRetryMinutes: 0.05 });
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    await dstProxy.down();
    const retrying = await waitStatus(d, (s) => s.state === 'Retrying', 10_000, 'Retrying');
    assert.match(retrying.lastError?.message ?? '', /destination/);
    const failed = await waitStatus(d, (s) => s.state === 'Failed', 30_000, 'Failed');
    assert.match(failed.lastError?.message ?? '', new RegExp(`${dstProxy.addr.replace(/\./g, '\\.')}.*gave up after retrying`));
    assert.equal(failed.lastError?.node, dstProxy.addr);
  } finally {
    await d?.kill('SIGTERM');
    await dstProxy.close();
    await stop();
  }
});

async function readLog(d: Daemon): Promise<string> {
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = readdirSync(d.stateDir)[0];
  try { return readFileSync(`${d.stateDir}/${dir}/daemon.log`, 'utf8'); } catch { return ''; }
}
