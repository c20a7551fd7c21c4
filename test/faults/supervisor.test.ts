// The supervised daemon (what `pulumi up` starts): a crash loop ends in Failed with the last error; SIGTERM stops
// the worker after it flushed and saved its checkpoint, within a bound even when the destination hangs; killing the
// supervisor (kill -9) ends the worker too; passwords are in no process's argv or environment, nor in any file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, sleep } from '../harness/redis';
import { FaultProxy } from '../harness/fault-proxy';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { isAlive } from '../../provider/daemon/daemon-process';
import { taskSpec, startSupervised, waitStatus, caughtUp, assertConsistent, removeStateDir, type Supervised } from './helpers';

const SRC_PASS = 'sup-src-Secret-4471';
const DST_PASS = 'sup-dst-Secret-9902';
const FAST_SOURCE = { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '64mb' };

async function waitGone(pid: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (isAlive(pid) && Date.now() - t0 < timeoutMs) await sleep(20);
  assert.ok(!isAlive(pid), `process ${pid} still alive after ${timeoutMs} ms`);
  return Date.now() - t0;
}

test('a crash loop (5 crashes within 2 minutes) ends in Failed with the last error; the supervisor exits', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  let d: Supervised | null = null;
  try {
    await src.client().set('k', 'v');
    const spec = taskSpec('crashloop', src, dst);
    d = await startSupervised(spec, { supervisor: { restartMinMs: 100, restartMaxMs: 400 } });
    let worker: number | null = null;
    for (let i = 0; i < 4; i++) {
      worker = await d.nextWorker(worker);
      await sleep(300);
      process.kill(worker, 'SIGKILL');
      const st = await waitStatus(d, (s) => s.state === 'Retrying' || s.state === 'Failed', 10_000, 'the crash noticed');
      assert.equal(st.state, 'Retrying', 'crashes under the limit are restarted');
      assert.match(st.lastError?.message ?? '', /crashed \(killed by SIGKILL\)/);
    }
    worker = await d.nextWorker(worker);
    await sleep(300);
    process.kill(worker, 'SIGKILL');
    const failed = await waitStatus(d, (s) => s.state === 'Failed', 10_000, 'Failed on the crash loop');
    assert.match(failed.lastError?.message ?? '', /crash loop: the worker crashed 5 times within 120 s; last: killed by SIGKILL/);
    await waitGone(d.pid, 5000);
    assert.match(d.log(), /crash loop/);
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('SIGTERM to the supervisor: the worker flushes, saves its checkpoint and exits; the restart resumes with +CONTINUE; no secret anywhere', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE, password: SRC_PASS });
  const dst = await startRedis({ password: DST_PASS });
  let d: Supervised | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('sigterm', src, dst);
    d = await startSupervised(spec);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing');
    const worker = d.workerPid()!;

    // No secret in the argv or environment of either process.
    for (const pid of [d.pid, worker]) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      for (const secret of [SRC_PASS, DST_PASS]) {
        assert.ok(!argv.includes(secret), `password in the argv of ${pid}`);
        assert.ok(!env.includes(secret), `password in the environment of ${pid}`);
      }
    }

    const load = c.duplicate();
    const loading = runMixedLoad(load, { dbs: [0], durationMs: 3000, maxCommands: 30_000, seed: 4 });
    await sleep(1000);
    const t0 = Date.now();
    process.kill(d.pid, 'SIGTERM');
    await waitGone(d.pid, 16_000);
    await waitGone(worker, 1000);
    const stopMs = Date.now() - t0;
    const stopped = d.status()!;
    assert.equal(stopped.state, 'Stopped');
    assert.ok(stopMs < 15_000, `stopped in ${stopMs} ms`);
    await loading;
    load.disconnect();
    const cp = JSON.parse(readFileSync(join(d.stateDir, 'sigterm', 'checkpoint.json'), 'utf8')) as { nodes: Record<string, { offset: number }> };
    assert.equal(cp.nodes.standalone.offset, stopped.nodes[0].appliedOffset, 'the saved checkpoint is what was applied');

    const d2 = await startSupervised(spec, { stateDir: d.stateDir });
    try {
      const st = await waitStatus(d2, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing after the restart');
      assert.equal(st.nodes[0].lastSync, 'continue');
      await caughtUp(d2, src);
      await assertConsistent(spec, 20);
      const dir = join(d.stateDir, 'sigterm');
      for (const f of readdirSync(dir)) {
        const text = readFileSync(join(dir, f), 'utf8');
        for (const secret of [SRC_PASS, DST_PASS]) assert.ok(!text.includes(secret), `password in ${f}`);
      }
      console.log(`SIGTERM to stopped: ${stopMs} ms`);
    } finally {
      await d2.stop();
    }
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('kill -9 of the supervisor ends the worker; a new daemon resumes with +CONTINUE', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  let d: Supervised | null = null;
  try {
    await fillEveryType(src.client(), 0);
    const spec = taskSpec('killsup', src, dst);
    d = await startSupervised(spec);
    await waitStatus(d, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing');
    const worker = d.workerPid()!;
    process.kill(d.pid, 'SIGKILL');
    const ms = await waitGone(worker, 5000);
    console.log(`worker gone ${ms} ms after its supervisor was killed`);
    await src.client().set('while-down', '1');
    const d2 = await startSupervised(spec, { stateDir: d.stateDir });
    try {
      const st = await waitStatus(d2, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing');
      assert.equal(st.nodes[0].lastSync, 'continue');
      await caughtUp(d2, src);
      await assertConsistent(spec, 20);
    } finally {
      await d2.stop();
    }
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a worker that cannot flush (destination stalled) is killed after the stop grace period', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis();
  const dstProxy = await FaultProxy.start(dst);
  let d: Supervised | null = null;
  try {
    const c = src.client();
    await c.set('k', 'v');
    const spec = taskSpec('stall', src, { addr: dstProxy.addr });
    d = await startSupervised(spec, { supervisor: { stopGraceMs: 2000 } });
    await waitStatus(d, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing');
    const worker = d.workerPid()!;
    dstProxy.stall();
    for (let i = 0; i < 50; i++) await c.set(`stalled:${i}`, 'v');
    await sleep(300);
    const t0 = Date.now();
    process.kill(d.pid, 'SIGTERM');
    const ms = await waitGone(d.pid, 6000);
    await waitGone(worker, 1000);
    assert.ok(ms >= 1500 && ms < 5000, `stopped after ${ms} ms (grace 2000 ms)`);
    assert.match(d.log(), /did not stop within 2000 ms: SIGKILL/);
    console.log(`stalled worker killed ${Date.now() - t0} ms after SIGTERM`);
    // Nothing acknowledged that the destination did not apply: the restart (destination healthy again) catches up.
    dstProxy.unstall();
    const d2 = await startSupervised(spec, { stateDir: d.stateDir });
    try {
      await waitStatus(d2, (s) => s.state === 'Synchronizing', 30_000, 'Synchronizing');
      await caughtUp(d2, src);
      await assertConsistent(spec, 51);
    } finally {
      await d2.stop();
    }
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await dstProxy.close();
    await Promise.all([src.stop(), dst.stop()]);
  }
});
