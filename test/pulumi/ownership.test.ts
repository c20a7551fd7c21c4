// The task lives with its data: `pulumi up`, `refresh` and `destroy` from another machine (another HOME and state dir,
// the first machine's files hidden by a private mount) see and manage the same task; two stacks with one resource
// name are two tasks; a failed update leaves the previous configuration running; an update onto another server is
// prechecked; a layout change re-copies instead of failing on the task's own keys; destroy leaves no redis-sync key.
// Counted with INCR and RPUSH, so a doubled or lost write shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startRedis, startCluster, sleep, type RedisServer } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, TASK_PROGRAM, type PulumiProject } from '../harness/pulumi';
import { verifyTask } from '../../provider/verify/verify-task';
import { tally, countingLoad } from '../faults/helpers';
import type { TaskSpec } from '../../provider/spec/types';

const SRC_PASS = 'own-src-Pass-4410';
const DST_PASS = 'own-dst-Pass-8823';
const KEYS = 20;

before(() => { pulumiBinDir(); });

function args(src: RedisServer, dst: RedisServer, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] },
    heartbeat: { intervalMs: 100 }, waitTimeoutSeconds: 120, ...extra,
  });
}

function spec(src: RedisServer, dst: RedisServer, extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'task', source: { mode: 'standalone', nodes: [src.addr], password: SRC_PASS },
    destination: { mode: 'standalone', nodes: [dst.addr], password: DST_PASS }, ...extra,
  };
}

async function project(name: string, src: RedisServer, dst: RedisServer, extra: Record<string, unknown> = {}): Promise<PulumiProject> {
  const p = createProject(name, TASK_PROGRAM);
  await p.run(['stack', 'init', 'dev']);
  await p.setConfig('taskArgs', args(src, dst, extra));
  await p.setConfig('srcPass', SRC_PASS, true);
  await p.setConfig('dstPass', DST_PASS, true);
  return p;
}

async function the(p: PulumiProject): Promise<Record<string, unknown>> {
  const [out] = await taskOutputs(p);
  assert.ok(out, 'no RedisSyncTask in the state');
  return out;
}

/** Supervisors of a task on this machine (any state dir): there must never be two. */
function daemonsOf(taskId: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((a) => a.endsWith('supervisor.js')) && argv.some((a) => a.endsWith(`/${taskId}`) || a === taskId);
    } catch { return false; }
  });
}

async function waitApplied(src: RedisServer, dst: RedisServer, prefix: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    if (JSON.stringify(await tally(src, prefix, KEYS)) === JSON.stringify(await tally(dst, prefix, KEYS))) return;
    await sleep(100);
  }
}

async function assertExact(src: RedisServer, dst: RedisServer, prefix: string, sent: number): Promise<void> {
  await waitApplied(src, dst, prefix);
  const s = await tally(src, prefix, KEYS);
  const d = await tally(dst, prefix, KEYS);
  assert.equal(s.counters + s.elements, sent);
  assert.deepEqual(d, s, `destination ${JSON.stringify(d)} vs source ${JSON.stringify(s)}: a write was doubled or lost`);
}

let src: RedisServer;
let dst: RedisServer;
let dst2: RedisServer;
before(async () => {
  [src, dst, dst2] = await Promise.all([
    startRedis({ password: SRC_PASS, config: { 'repl-backlog-size': '64mb' } }),
    startRedis({ password: DST_PASS }), startRedis({ password: DST_PASS }),
  ]);
});
after(async () => { await Promise.all([src?.stop(), dst?.stop(), dst2?.stop()]); });

test('another machine: refresh shows the running task and its host, up starts no second daemon, up takes over a dead one, destroy cleans up', async () => {
  const a = await project('machine-a', src, dst);
  // Machine B: the same stack (shared backend, same config), its own HOME and state dir, machine A's files invisible.
  let b: PulumiProject | null = null;
  try {
    await a.run(['up', '--yes', '--skip-preview']);
    const first = await the(a);
    const taskId = String(first.taskId);
    assert.equal(first.state, 'Synchronizing');
    // Same project name: a DIY backend keeps stacks per project.
    b = createProject('machine-a', TASK_PROGRAM, { backendOf: a, hide: [a.stateDir] });
    await b.run(['stack', 'select', 'dev']);
    const c = src.client();
    let sent = await countingLoad(c, 'mb', KEYS, { durationMs: 10_000, maxCommands: 400, batch: 10 });

    await b.run(['refresh', '--yes', '--skip-preview']);
    let out = await the(b);
    assert.equal(out.state, 'Synchronizing', 'refresh on another machine reads the task from its destination');
    assert.equal(out.daemonRunning, true);
    assert.equal((out.daemonHost as { hostname: string }).hostname, (first.daemonHost as { hostname: string }).hostname);
    const up = await b.run(['up', '--yes', '--skip-preview']);
    assert.doesNotMatch(up.stdout, /updated|created/, up.stdout);
    assert.equal(daemonsOf(taskId).length, 1, 'a second daemon was started');
    sent += await countingLoad(c, 'mb', KEYS, { durationMs: 10_000, maxCommands: 400, batch: 10 });
    await assertExact(src, dst, 'mb', sent);

    // The daemon on machine A dies; a plain `up` on B (no --refresh) says why and starts it there, from the checkpoint.
    for (const pid of daemonsOf(taskId)) process.kill(pid, 'SIGKILL');
    await sleep(1500);
    sent += await countingLoad(c, 'mb', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    const preview = await b.run(['preview']);
    assert.match(preview.stdout + preview.stderr, /daemon not running \(owner host \S+, pid \d+, last seen/, preview.stdout);
    await b.run(['up', '--yes', '--skip-preview']);
    out = await the(b);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'continue', 'resumed from the checkpoint on the destination');
    assert.equal(daemonsOf(taskId).length, 1);
    sent += await countingLoad(c, 'mb', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    await assertExact(src, dst, 'mb', sent);
    assert.equal((await verifyTask(spec(src, dst))).consistent, true);

    // Destroy from machine A, whose daemon is not the one running: it stops B's through the destination.
    await a.run(['destroy', '--yes', '--skip-preview']);
    assert.deepEqual(daemonsOf(taskId), [], 'daemon left running after destroy');
    assert.deepEqual(await src.client().keys('redis-sync:*'), []);
    assert.deepEqual(await dst.client().keys('redis-sync:*'), []);
  } finally {
    await a.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    a.remove();
    b?.remove();
    await dst.client().flushall();
  }
});

test('two stacks with the same resource name are two tasks; a third onto a destination in use is refused naming the owner', async () => {
  const one = await project('stack-one', src, dst);
  const two = await project('stack-two', src, dst2);
  const three = await project('stack-three', src, dst);
  try {
    await one.run(['up', '--yes', '--skip-preview']);
    await two.run(['up', '--yes', '--skip-preview']);
    const [o1, o2] = [await the(one), await the(two)];
    assert.notEqual(o1.taskId, o2.taskId);
    assert.equal(o1.state, 'Synchronizing');
    assert.equal(o2.state, 'Synchronizing');
    const refused = await three.run(['up', '--yes', '--skip-preview'], { allowFail: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, new RegExp(`FAILED\\s+destination-owned.*another running task, ${o1.taskId}, on host`));
    await two.run(['destroy', '--yes', '--skip-preview']);
    await one.run(['refresh', '--yes', '--skip-preview']);
    const still = await the(one);
    assert.equal(still.state, 'Synchronizing', 'destroying the other stack left this one running');
    assert.equal(still.daemonPid, o1.daemonPid);
    const sent = await countingLoad(src.client(), 'ts', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    await assertExact(src, dst, 'ts', sent);
    assert.deepEqual(await dst2.client().keys('redis-sync:*'), []);
  } finally {
    for (const p of [three, two, one]) await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    for (const p of [one, two, three]) p.remove();
    await Promise.all([dst.client().flushall(), dst2.client().flushall()]);
  }
});

test('updates: a failed one leaves the previous task running; onto a non-empty server it is refused; a layout change re-copies; after a move, destroy leaves no key anywhere', async () => {
  const p = await project('updates', src, dst);
  try {
    await p.run(['up', '--yes', '--skip-preview']);
    const before = await the(p);
    const c = src.client();
    let sent = await countingLoad(c, 'up', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });

    // A wrong new password: the update fails with a clear message, and the running task was never stopped.
    await p.setConfig('dstPass', 'wrong-password', true);
    await p.setConfig('taskArgs', args(src, dst, { heartbeat: { intervalMs: 150 } }));
    const failed = await p.run(['up', '--yes', '--skip-preview'], { allowFail: true });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stdout + failed.stderr, /not applied: the previous configuration keeps running/);
    assert.match(failed.stdout + failed.stderr, /authentication failed/);
    sent += await countingLoad(c, 'up', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    await assertExact(src, dst, 'up', sent);
    await p.setConfig('dstPass', DST_PASS, true);
    await p.run(['up', '--yes', '--skip-preview']);
    let out = await the(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal(typeof out.lagMs, 'number', 'lagMs after an update');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'continue');

    // Pointed at a server holding foreign keys: refused by the existing-data precheck; the task keeps running.
    await dst2.client().set('foreign', 'x');
    await p.setConfig('taskArgs', args(src, dst2, { heartbeat: { intervalMs: 150 } }));
    const refused = await p.run(['up', '--yes', '--skip-preview'], { allowFail: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /FAILED\s+destination-empty/);
    assert.equal(await dst2.client().dbsize(), 1, 'nothing was merged into the foreign keys');
    sent += await countingLoad(c, 'up', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    await assertExact(src, dst, 'up', sent);

    // Moved to an empty server: a full sync there, and nothing of the task left on the old one.
    await dst2.client().del('foreign');
    await p.run(['up', '--yes', '--skip-preview']);
    out = await the(p);
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'full');
    assert.equal(out.taskId, before.taskId, 'an update, not a new task');
    assert.deepEqual(await dst.client().keys('redis-sync:*'), [], 'the old destination keeps no key of the task');
    await assertExact(src, dst2, 'up', sent);

    // databases changed (a replace before): re-copied in full into the same destination, no destination-empty failure.
    await c.select(1);
    await c.set('db1-key', 'v');
    await c.select(0);
    await p.setConfig('taskArgs', args(src, dst2, { heartbeat: { intervalMs: 150 }, databases: [0] }));
    await p.run(['up', '--yes', '--skip-preview']);
    out = await the(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'full');
    sent += await countingLoad(c, 'up', KEYS, { durationMs: 10_000, maxCommands: 200, batch: 10 });
    await assertExact(src, dst2, 'up', sent);
    assert.equal((await verifyTask(spec(src, dst2, { databases: [0] }))).consistent, true);

    await p.run(['destroy', '--yes', '--skip-preview']);
    for (const s of [src, dst, dst2]) {
      for (const db of [0, 1]) {
        const cl = s.client();
        await cl.select(db);
        assert.deepEqual(await cl.keys('redis-sync:*'), [], `redis-sync key left on ${s.addr} db ${db}`);
        await cl.select(0);
      }
    }
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await Promise.all([dst.client().flushall(), dst2.client().flushall(), src.client().flushall()]);
  }
});

test('a cluster destination moved by an update (3 masters -> an empty 2-master cluster) is copied in full; destroy leaves no key on either', async () => {
  const [three, two] = await Promise.all([startCluster({ masters: 3, password: DST_PASS }), startCluster({ masters: 2, password: DST_PASS })]);
  const clusterArgs = (nodes: string[]): string => JSON.stringify({
    source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'cluster', nodes }, databases: [0],
    heartbeat: { intervalMs: 100 }, waitTimeoutSeconds: 120,
  });
  const p = createProject('cluster-move', TASK_PROGRAM);
  try {
    await p.run(['stack', 'init', 'dev']);
    await p.setConfig('srcPass', SRC_PASS, true);
    await p.setConfig('dstPass', DST_PASS, true);
    await src.client().call('DEBUG', 'POPULATE', '20000', 'cm', '32');
    await p.setConfig('taskArgs', clusterArgs(three.nodes));
    await p.run(['up', '--yes', '--skip-preview']);
    const sent = await countingLoad(src.client(), 'cm', KEYS, { durationMs: 10_000, maxCommands: 400, batch: 10 });
    await p.setConfig('taskArgs', clusterArgs(two.nodes));
    await p.run(['up', '--yes', '--skip-preview']);
    const out = await the(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'full', 'the new cluster holds no checkpoint of the task: full sync');
    const spec2: TaskSpec = { ...spec(src, dst, { databases: [0] }), destination: { mode: 'cluster', nodes: two.nodes, password: DST_PASS } };
    const report = await verifyTask(spec2);
    assert.equal(report.consistent, true, JSON.stringify(report.firstMismatches.slice(0, 3)));
    assert.ok(report.keysCompared >= 20_000, `compared ${report.keysCompared}`);
    const counted = (await tally(src, 'cm', KEYS));
    assert.equal(counted.counters + counted.elements, sent);
    await p.run(['destroy', '--yes', '--skip-preview']);
    for (const m of [...three.masters, ...two.masters]) assert.deepEqual(await m.client().keys('redis-sync:*'), [], `redis-sync key left on ${m.addr}`);
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await src.client().flushall();
    await Promise.all([three.stop(), two.stop()]);
  }
});

test('nested inputs may be outputs of other resources: heartbeat.intervalMs from pulumi.output() works', async () => {
  const program = `
const pulumi = require('@pulumi/pulumi');
const { RedisSyncTask } = require('pulumi-redis-sync');
const cfg = new pulumi.Config();
const task = new RedisSyncTask('task', {
  source: { mode: 'standalone', nodes: [pulumi.output(${JSON.stringify(src.addr)})], password: cfg.requireSecret('srcPass') },
  destination: pulumi.output({ mode: 'standalone', nodes: [${JSON.stringify(dst.addr)}], password: cfg.requireSecret('dstPass') }),
  heartbeat: { intervalMs: pulumi.output(500).apply((v) => v) },
  waitTimeoutSeconds: 120,
});
exports.lagMs = task.lagMs;
`;
  const p = createProject('nested', program);
  try {
    await p.run(['stack', 'init', 'dev']);
    await p.setConfig('srcPass', SRC_PASS, true);
    await p.setConfig('dstPass', DST_PASS, true);
    await p.run(['up', '--yes', '--skip-preview']);
    const out = await the(p);
    assert.equal(out.state, 'Synchronizing');
    assert.deepEqual(out.heartbeat, { intervalMs: 500 });
    assert.equal(typeof out.lagMs, 'number');
    const exported = (await p.run(['stack', 'export'])).stdout;
    for (const secret of [SRC_PASS, DST_PASS]) assert.ok(!exported.includes(secret), 'password in the state');
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await dst.client().flushall();
  }
});
