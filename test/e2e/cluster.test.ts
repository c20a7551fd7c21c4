// Every topology with a cluster on one side or both, under a bounded write load spread over all slots, with verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { runSpreadLoad, fillEveryType } from '../harness/dataset';
import { verify } from '../../provider/verify/verify';
import { taskKeyFilter } from '../../provider/verify/verify-task';
import type { TaskSpec } from '../../provider/spec/types';
import { type Side, endpoint, sideSpec as spec, caughtUpAll as caughtUp, assertSidesConsistent } from '../harness/topology';

async function assertConsistent(s: TaskSpec): Promise<void> {
  await assertSidesConsistent(s, 101);
}

function loadClient(s: Side) {
  return 'masters' in s ? s.client() : s.client().duplicate();
}

async function topology(name: string, makeSrc: () => Promise<Side>, makeDst: () => Promise<Side>, extra: Partial<TaskSpec> = {}, crossSlot = false): Promise<void> {
  const src = await makeSrc();
  const dst = await makeDst();
  let d: Daemon | null = null;
  try {
    const c = loadClient(src);
    await runSpreadLoad(c, { durationMs: 5000, maxCommands: 3000, seed: 1 });
    const s = spec(name, src, dst, extra);
    d = startDaemon(s);
    const load = runSpreadLoad(c, { durationMs: 5000, maxCommands: 20_000, seed: 2, crossSlot });
    await d.waitForState('Synchronizing', 60_000);
    const sent = await load;
    if (!('masters' in src)) c.disconnect();
    assert.ok(sent > 500, `load sent ${sent}`);
    await caughtUp(d, src);
    await assertConsistent(s);
    if ('masters' in src) assert.equal(d.status()!.nodes.length, src.masters.length, 'one stream per source master');
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
}

test('standalone -> cluster (cross-slot DEL and MSET split by slot)', () =>
  topology('s2c', () => startRedis(), () => startCluster({ masters: 3 }), { databases: [0] }, true));

test('cluster -> standalone', () => topology('c2s', () => startCluster({ masters: 3 }), () => startRedis()));

test('cluster (3 masters) -> cluster (3 masters)', () => topology('c2c', () => startCluster({ masters: 3 }), () => startCluster({ masters: 3 })));

test('cluster (3) -> cluster (2)', () => topology('c3to2', () => startCluster({ masters: 3 }), () => startCluster({ masters: 2 })));

test('one-to-many: two tasks from one source into two destinations at once', async () => {
  const src = await startCluster({ masters: 3 });
  const [d1, d2] = [await startRedis(), await startCluster({ masters: 3 })];
  const daemons: Daemon[] = [];
  try {
    await runSpreadLoad(src.client(), { durationMs: 3000, maxCommands: 2000, seed: 4 });
    const specs = [spec('fan1', src, d1), spec('fan2', src, d2)];
    for (const s of specs) daemons.push(startDaemon(s));
    const load = runSpreadLoad(src.client(), { durationMs: 4000, maxCommands: 10_000, seed: 5 });
    for (const d of daemons) await d.waitForState('Synchronizing', 60_000);
    await load;
    for (const d of daemons) await caughtUp(d, src);
    for (const s of specs) await assertConsistent(s);
  } finally {
    for (const d of daemons) await d.kill('SIGTERM');
    await Promise.all([src.stop(), d1.stop(), d2.stop()]);
  }
});

test('cascading: A -> B and B -> C at once, C converges to A', async () => {
  const [a, b, c] = [await startRedis(), await startRedis(), await startCluster({ masters: 3 })];
  const daemons: Daemon[] = [];
  try {
    await fillEveryType(a.client(), 0);
    const ab = spec('ab', a, b);
    const bc = spec('bc', b, c, { databases: [0] });
    daemons.push(startDaemon(ab));
    await daemons[0].waitForState('Synchronizing', 60_000);
    daemons.push(startDaemon(bc, { args: [] }));
    const loader = a.client().duplicate();
    const load = runSpreadLoad(loader, { durationMs: 4000, maxCommands: 10_000, seed: 6 });
    await daemons[1].waitForState('Synchronizing', 60_000);
    await load;
    loader.disconnect();
    await caughtUp(daemons[0], a);
    await caughtUp(daemons[1], b);
    const ignoreAb = taskKeyFilter(ab);
    const ignoreBc = taskKeyFilter(bc);
    const report = await verify(endpoint(a), endpoint(c), { databases: [0], ignoreKeys: (k) => ignoreAb(k) || ignoreBc(k) });
    assert.equal(report.consistent, true, JSON.stringify(report.firstMismatches.slice(0, 5)));
    assert.ok(report.keysCompared > 100);
  } finally {
    for (const d of daemons) await d.kill('SIGTERM');
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
});

test('kill -9 during cluster -> cluster sync: every master stream resumes from its own checkpoint', async () => {
  const src = await startCluster({ masters: 3, config: { 'repl-backlog-size': '64mb' } });
  const dst = await startCluster({ masters: 3 });
  let d: Daemon | null = null;
  try {
    await runSpreadLoad(src.client(), { durationMs: 3000, maxCommands: 3000, seed: 7, idempotent: true });
    const s = spec('c2c-kill', src, dst);
    d = startDaemon(s);
    const stateDir = d.stateDir;
    await d.waitForState('Synchronizing', 60_000);
    // A cluster destination is at-least-once (README): the load is replay-safe so that verify is exact.
    const load = runSpreadLoad(src.client(), { durationMs: 6000, maxCommands: 30_000, seed: 8, idempotent: true });
    await sleep(1500);
    await d.kill('SIGKILL');
    d = startDaemon(s, { stateDir });
    const st = await d.waitFor((x) => x.state === 'Synchronizing' && x.nodes.length === 3, 60_000, 'all streams synchronizing');
    assert.deepEqual(st.nodes.map((n) => n.lastSync), ['continue', 'continue', 'continue'], 'each stream resumes with +CONTINUE');
    await load;
    await caughtUp(d, src);
    await assertConsistent(s);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('FLUSHALL on one master of a cluster source empties only that master\'s slots on the destination', async () => {
  const src = await startCluster({ masters: 3 });
  const dst = await startCluster({ masters: 2 });
  let d: Daemon | null = null;
  try {
    await runSpreadLoad(src.client(), { durationMs: 3000, maxCommands: 3000, seed: 9, idempotent: true });
    const s = spec('flush-one', src, dst);
    d = startDaemon(s);
    await d.waitForState('Synchronizing', 60_000);
    await src.masters[1].client().flushall();
    await runSpreadLoad(src.client(), { durationMs: 2000, maxCommands: 1000, seed: 10, idempotent: true });
    await caughtUp(d, src);
    await assertConsistent(s);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a reshard of the source while the task runs: the task follows it, and the destination is consistent without reconfiguring', async () => {
  const src = await startCluster({ masters: 3 });
  const dst = await startRedis();
  let d: Daemon | null = null;
  try {
    await runSpreadLoad(src.client(), { durationMs: 3000, maxCommands: 3000, seed: 11, idempotent: true });
    const s = spec('reshard', src, dst);
    d = startDaemon(s);
    await d.waitForState('Synchronizing', 60_000);
    const [fromId, toId] = await Promise.all([0, 1].map((i) => src.masters[i].client().call('CLUSTER', 'MYID') as Promise<string>));
    const { execFileSync } = await import('node:child_process');
    execFileSync('redis-cli', ['--cluster', 'reshard', src.nodes[0], '--cluster-from', fromId, '--cluster-to', toId, '--cluster-slots', '50', '--cluster-yes'], { stdio: 'pipe', timeout: 60_000 });
    await runSpreadLoad(src.client(), { durationMs: 2000, maxCommands: 1000, seed: 12, idempotent: true });
    // The keys that moved arrive through the new owner's stream (RESTORE-ASKING); the old owner's DEL of them is the
    // migration's, not a deletion, and the slot table is followed once it is stable.
    await d.waitFor((x) => x.state === 'Synchronizing', 20_000, 'Synchronizing');
    await caughtUp(d, src);
    await assertConsistent(s);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a cross-slot SINTERSTORE from a standalone source is applied on the cluster destination, not refused', async () => {
  const src = await startRedis();
  const dst = await startCluster({ masters: 3 });
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await c.sadd('a', 'x', 'y');
    await c.sadd('b', 'y', 'z');
    const sp = spec('crossslot', src, dst, { databases: [0] });
    d = startDaemon(sp);
    await d.waitForState('Synchronizing', 60_000);
    await c.del('a', 'b', 'nothing'); // split by slot: applied
    await c.sadd('a', 'x', 'y');
    await c.sadd('b', 'y', 'z');
    await c.sinterstore('dest', 'a', 'b');
    await caughtUp(d, src);
    assert.equal(d.status()?.state, 'Synchronizing', JSON.stringify(d.status()?.lastError));
    assert.deepEqual(await dst.client().smembers('dest'), ['y']);
  } finally {
    await d?.kill('SIGKILL');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
