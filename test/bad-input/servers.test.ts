// Bad servers behind a valid spec: each is refused with a message that names the node and says what to do, within a
// bounded time; a corrupt replication stream fails the task with the offset instead of writing garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, freePort, sleep } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { FaultProxy } from '../harness/fault-proxy';
import { runTask } from './cli';
import { taskSpec, waitStatus, caughtUp, masterOffset } from '../faults/helpers';

const FAST_SOURCE = { 'repl-diskless-sync-delay': '0' };

test('a wrong password fails the prechecks naming the node; with prechecks skipped the task fails, not retries', { timeout: 60_000 }, async () => {
  const src = await startRedis({ password: 'right-src-pass', config: FAST_SOURCE });
  const dst = await startRedis({ password: 'right-dst-pass' });
  try {
    const pre = await runTask(taskSpec('wrongpw', { addr: src.addr, password: 'wrong-src-pass' }, { addr: dst.addr, password: 'right-dst-pass' }));
    assert.equal(pre.code, 1);
    assert.match(pre.stderr, new RegExp(`FAILED\\s+source-connectivity\\s+authentication failed on ${src.addr}: check the username and password`));
    assert.ok(!pre.stderr.includes('wrong-src-pass'), 'the password must not be echoed');

    const srcRun = await runTask(taskSpec('wrongpw-src', { addr: src.addr, password: 'wrong-src-pass' }, { addr: dst.addr, password: 'right-dst-pass' }), ['--skip-prechecks'], 30_000);
    assert.equal(srcRun.code, 1);
    assert.match(srcRun.stderr, new RegExp(`task "wrongpw-src" failed: .*${src.addr}.*(WRONGPASS|invalid|password).*\\(not retryable\\)`, 'i'));
    assert.ok(srcRun.ms < 20_000, `took ${srcRun.ms} ms`);

    const dstRun = await runTask(taskSpec('wrongpw-dst', { addr: src.addr, password: 'right-src-pass' }, { addr: dst.addr, password: 'wrong-dst-pass' }), ['--skip-prechecks'], 30_000);
    assert.equal(dstRun.code, 1);
    assert.match(dstRun.stderr, new RegExp(`task "wrongpw-dst" failed: destination ${dst.addr}: .*(WRONGPASS|invalid).*\\(not retryable\\)`, 'i'));
    assert.ok(dstRun.ms < 20_000, `took ${dstRun.ms} ms`);
    for (const r of [srcRun, dstRun]) assert.ok(!/wrong-(src|dst)-pass|right-(src|dst)-pass/.test(r.stderr));
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('an unreachable host fails within a bounded time naming the node (refused, and silent)', { timeout: 60_000 }, async () => {
  const dst = await startRedis();
  const closedPort = await freePort();
  // A server that accepts connections and never answers: a stalled proxy in front of a real one.
  const silent = await FaultProxy.start(dst);
  silent.stall();
  try {
    const refused = await runTask(taskSpec('unreach', { addr: `127.0.0.1:${closedPort}` }, dst), [], 30_000);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`FAILED\\s+source-connectivity\\s+cannot connect to 127\\.0\\.0\\.1:${closedPort}: connection refused`));
    assert.ok(refused.ms < 10_000, `took ${refused.ms} ms`);

    const hung = await runTask(taskSpec('silent', { addr: silent.addr }, dst), [], 30_000);
    assert.equal(hung.code, 1);
    assert.match(hung.stderr, new RegExp(`FAILED\\s+source-connectivity\\s+cannot connect to ${silent.addr.replace(/\./g, '\\.')}: timed out`));
    assert.ok(hung.ms < 15_000, `took ${hung.ms} ms`);
  } finally {
    await silent.close();
    await dst.stop();
  }
});

test('a destination that is not empty fails destination-empty with its key counts', { timeout: 30_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  try {
    await dst.client().set('someone-elses', 'key');
    const r = await runTask(taskSpec('notempty', src, dst));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`FAILED\\s+destination-empty\\s+destination ${dst.addr} already has keys \\(db0: 1\\): empty it, or set existingData to "ignoreErrorsAndProceed"`));
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('PSYNC disabled with rename-command fails the precheck, and the task itself when prechecks are skipped', { timeout: 30_000 }, async () => {
  const src = await startRedis({ config: { ...FAST_SOURCE, 'rename-command': 'PSYNC ""' } });
  const dst = await startRedis();
  try {
    const r = await runTask(taskSpec('nopsync', src, dst));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`FAILED\\s+source-psync\\s+PSYNC is disabled or renamed on source ${src.addr}`));
    const run = await runTask(taskSpec('nopsync2', src, dst), ['--skip-prechecks'], 30_000);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /PSYNC.*\(not retryable\)/);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a corrupt replication stream fails the task with the offset and writes nothing after it', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: { ...FAST_SOURCE, 'repl-ping-replica-period': '60' } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(src);
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await c.set('before', '1');
    // No heartbeat: the stream is quiet, so the next byte the proxy forwards starts the next command.
    d = startDaemon(taskSpec('corrupt', { addr: proxy.addr }, dst, { heartbeat: { enabled: false } }));
    await d.waitForState('Synchronizing', 30_000);
    await c.set('applied', '1');
    await caughtUp(d, src);
    const at = await masterOffset(src);
    proxy.corrupt({ afterBytes: 0, length: 1, byte: 0x01 });
    await c.set('garbled', 'x');
    await c.set('after', 'y');
    const failed = await waitStatus(d, (s) => s.state === 'Failed', 20_000, 'Failed on the corrupt stream');
    assert.equal(proxy.stats.corruptedAt !== null, true, 'the proxy corrupted the stream');
    assert.match(failed.lastError?.message ?? '', new RegExp(`bad command stream from source ${proxy.addr.replace(/\./g, '\\.')}: replication stream protocol error at offset ${at}`));
    assert.equal(failed.lastError?.offset, at);
    assert.match(failed.lastError?.message ?? '', /not retryable/);
    assert.equal(await d.exited(), 1);
    assert.equal(await dst.client().get('applied'), '1');
    assert.equal(await dst.client().exists('garbled', 'after'), 0, 'nothing from the corrupt part may be written');
    assert.ok(failed.nodes[0].appliedOffset <= at);
    await sleep(10);
  } finally {
    await d?.kill('SIGKILL');
    await proxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});
