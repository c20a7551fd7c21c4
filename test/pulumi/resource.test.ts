// RedisSyncTask with the real Pulumi CLI (local file backend) and real redis-servers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { createProject, pulumiBinDir, TASK_PROGRAM, type PulumiProject } from '../harness/pulumi';
import { verifyTask } from '../../provider/verify/verify-task';
import { isAlive } from '../../provider/daemon/daemon-process';
import type { TaskSpec } from '../../provider/spec/types';

const SRC_PASS = 'src-Pass-7731-secret';
const DST_PASS = 'dst-Pass-9154-secret';

before(() => { pulumiBinDir(); });

function taskArgs(src: string, dst: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: { mode: 'standalone', nodes: [src] },
    destination: { mode: 'standalone', nodes: [dst] },
    heartbeat: { intervalMs: 100 },
    waitTimeoutSeconds: 120,
    ...extra,
  };
}

function specFor(name: string, src: string, dst: string): TaskSpec {
  return {
    name, source: { mode: 'standalone', nodes: [src], password: SRC_PASS },
    destination: { mode: 'standalone', nodes: [dst], password: DST_PASS },
  };
}

/** The task resource's outputs as the state holds them (stack outputs are not re-read by a refresh). */
async function outputs(p: PulumiProject): Promise<Record<string, unknown>> {
  const { stdout } = await p.run(['stack', 'export']);
  const deployment = JSON.parse(stdout) as { deployment: { resources: Array<{ type: string; outputs: Record<string, unknown> }> } };
  const task = deployment.deployment.resources.find((r) => r.type.endsWith(':RedisSyncTask'));
  assert.ok(task, 'no RedisSyncTask in the state');
  return task.outputs;
}

/** A TCP forwarder: the source "moves" to a new port while staying the same server (same replid). */
function forwarder(target: RedisServer): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer((inbound) => {
      const out = connect(target.port, target.host);
      inbound.pipe(out).pipe(inbound);
      const end = (): void => { inbound.destroy(); out.destroy(); };
      inbound.on('error', end);
      out.on('error', end);
    });
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server }));
  });
}

let src: RedisServer;
let dst: RedisServer;
before(async () => {
  src = await startRedis({ password: SRC_PASS, config: { 'repl-backlog-size': '64mb' } });
  dst = await startRedis({ password: DST_PASS });
});
after(async () => {
  await Promise.all([src?.stop(), dst?.stop()]);
});

test('up, writes after up, refresh, a source that moved, destroy: the full life of a task with the real CLI', async () => {
  const c = src.client();
  for (let i = 0; i < 500; i++) await c.set(`pre:${i}`, `v${i}`);
  await c.rpush('list', 'a', 'b');
  const p = createProject('lifecycle', TASK_PROGRAM);
  const fwd = await forwarder(src);
  try {
    await p.run(['stack', 'init', 'dev']);
    const access = { access: { createUsers: true } };
    await p.setConfig('taskArgs', JSON.stringify(taskArgs(src.addr, dst.addr, access)));
    await p.setConfig('srcPass', SRC_PASS, true);
    await p.setConfig('dstPass', DST_PASS, true);

    const up = await p.run(['up', '--yes', '--skip-preview']);
    assert.match(up.stdout, /pulumi-nodejs:dynamic\/redis-sync:RedisSyncTask/);
    let out = await outputs(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal(out.daemonRunning, true);
    // The task's identity: the resource name and a suffix of its own (two stacks with one name are two tasks).
    const taskId = String(out.taskId);
    assert.match(taskId, /^task-[0-9a-f]{8}$/);
    const pid = Number(out.daemonPid);
    assert.ok(isAlive(pid), 'the daemon must outlive pulumi up');
    const spec = specFor('task', src.addr, dst.addr);
    const report = await verifyTask(spec);
    assert.equal(report.consistent, true, JSON.stringify(report.firstMismatches));

    // Writes after `pulumi up` exited reach the destination: the daemon outlived it.
    await c.set('after-up', 'yes');
    await c.rpush('list', 'c');
    const deadline = Date.now() + 10_000;
    while ((await dst.client().get('after-up')) !== 'yes' && Date.now() < deadline) await sleep(50);
    assert.equal(await dst.client().get('after-up'), 'yes');
    const offsetBefore = (out.streams as Array<{ appliedOffset: number }>)[0].appliedOffset;
    await sleep(500);
    await p.run(['refresh', '--yes', '--skip-preview']);
    out = await outputs(p);
    const stream = (out.streams as Array<{ appliedOffset: number; lastSync: string }>)[0];
    assert.ok(stream.appliedOffset > offsetBefore, `refresh shows new offsets (${offsetBefore} -> ${stream.appliedOffset})`);
    assert.equal(typeof out.lagMs, 'number');
    // The daemon runs as the task's own least-privilege ACL users.
    for (const server of [src, dst]) {
      const users = (await server.client().call('ACL', 'USERS')) as string[];
      assert.ok(users.includes(`redis-sync-${taskId}`), `no ACL user on ${server.addr}: ${users.join(',')}`);
    }
    const replicaLine = /slave0:ip=[^\r\n]+/.exec(await c.info('replication'));
    assert.ok(replicaLine, 'the daemon is attached as a replica');
    const clients = (await c.call('CLIENT', 'LIST')) as string;
    assert.match(clients, new RegExp(`cmd=(psync|replconf) user=redis-sync-${taskId}`));

    // A daemon that died is reported by refresh, and the next `pulumi up` restarts it from its checkpoint.
    process.kill(pid, 'SIGKILL');
    // Its worker notices at once, stops and gives the lease back: refresh, from the destination, shows it gone.
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      await p.run(['refresh', '--yes', '--skip-preview']);
      out = await outputs(p);
      if (out.daemonRunning === false) break;
    }
    assert.equal(out.daemonRunning, false);
    assert.equal(out.state, 'DaemonNotRunning');
    await c.set('while-down', 'yes');
    const restart = await p.run(['up', '--yes', '--skip-preview']);
    out = await outputs(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'continue', restart.stdout + readFileSync(`${p.stateDir}/${taskId}/daemon.log`, 'utf8'));
    await sleep(500);
    assert.equal(await dst.client().get('while-down'), 'yes');

    // The source moved to another port: an update, not a replacement, and no full sync after it.
    await p.setConfig('taskArgs', JSON.stringify(taskArgs(`127.0.0.1:${fwd.port}`, dst.addr, access)));
    const preview = await p.run(['preview', '--diff']);
    assert.match(preview.stdout, /~ .*RedisSyncTask|update/i);
    assert.doesNotMatch(preview.stdout, /\+-|replace/i);
    await p.run(['up', '--yes', '--skip-preview']);
    out = await outputs(p);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'continue', 'the moved source resumes with +CONTINUE');
    await c.set('after-move', 'yes');
    await sleep(1000);
    assert.equal(await dst.client().get('after-move'), 'yes');
    assert.equal((await verifyTask(specFor('task', `127.0.0.1:${fwd.port}`, dst.addr))).consistent, true);

    // After a shard change the guide recommends clearing the destination: the option re-copies in full.
    await p.setConfig('taskArgs', JSON.stringify(taskArgs(`127.0.0.1:${fwd.port}`, dst.addr, { ...access, clearDestinationOnUpdate: true, heartbeat: { intervalMs: 150 } })));
    await dst.client().set('stale-on-destination', 'x');
    await p.run(['up', '--yes', '--skip-preview']);
    out = await outputs(p);
    assert.equal((out.streams as Array<{ lastSync: string }>)[0].lastSync, 'full', 'clearDestinationOnUpdate syncs in full');
    assert.equal(await dst.client().exists('stale-on-destination'), 0, 'the destination was emptied first');
    assert.equal((await verifyTask(specFor('task', `127.0.0.1:${fwd.port}`, dst.addr))).consistent, true);

    // Secrets: not in the state, the daemon's argv, the status or the log.
    const exported = (await p.run(['stack', 'export'])).stdout;
    const newPid = Number(out.daemonPid);
    const argv = readFileSync(`/proc/${newPid}/cmdline`, 'utf8');
    const taskDir = `${p.stateDir}/${taskId}`;
    const files = readdirSync(taskDir).map((f) => readFileSync(`${taskDir}/${f}`, 'utf8'));
    for (const secret of [SRC_PASS, DST_PASS]) {
      assert.ok(!exported.includes(secret), 'password in the stack state');
      assert.ok(!argv.includes(secret), 'password in the daemon argv');
      assert.ok(files.every((f) => !f.includes(secret)), 'password in the state dir');
    }

    // Destroy leaves nothing behind.
    await p.run(['destroy', '--yes', '--skip-preview']);
    assert.equal(isAlive(newPid), false, 'daemon still running after destroy');
    assert.equal(existsSync(taskDir), false, 'state dir left behind');
    assert.deepEqual(await c.keys('redis-sync:*'), [], 'heartbeat key left on the source');
    assert.deepEqual(await dst.client().keys('redis-sync:*'), [], 'checkpoint, lease or status key left on the destination');
    for (const server of [src, dst]) {
      assert.ok(!((await server.client().call('ACL', 'USERS')) as string[]).includes(`redis-sync-${taskId}`), `ACL user left on ${server.addr}`);
    }
  } finally {
    fwd.server.close();
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
  }
});

test('bad fields fail at preview with their property paths; a failed precheck fails up and leaves nothing behind', async () => {
  const p = createProject('badinput', TASK_PROGRAM);
  try {
    await p.run(['stack', 'init', 'dev']);
    await p.setConfig('srcPass', SRC_PASS, true);
    await p.setConfig('dstPass', DST_PASS, true);
    await p.setConfig('taskArgs', JSON.stringify(taskArgs('127.0.0.1:99999', dst.addr, { connectionRetryMinutes: -5, bogus: true })));
    const preview = await p.run(['preview'], { allowFail: true });
    assert.notEqual(preview.code, 0);
    const text = preview.stdout + preview.stderr;
    assert.match(text, /source\.nodes\[0\].*host:port/);
    assert.match(text, /connectionRetryMinutes.*>= 0/);
    assert.match(text, /bogus.*not a known field/);

    // A destination with keys fails the destination-empty precheck.
    await dst.client().set('foreign', 'x');
    await p.setConfig('taskArgs', JSON.stringify(taskArgs(src.addr, dst.addr)));
    const up = await p.run(['up', '--yes', '--skip-preview'], { allowFail: true });
    assert.notEqual(up.code, 0);
    assert.match(up.stdout + up.stderr, /FAILED\s+destination-empty/);
    assert.ok(!existsSync(p.stateDir) || readdirSync(p.stateDir).length === 0, 'no state left behind');
    assert.deepEqual(await src.client().keys('redis-sync:*'), []);
    assert.deepEqual(await dst.client().keys('redis-sync:*'), []);
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try { return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(p.stateDir); } catch { return false; }
    });
    assert.deepEqual(procs, [], 'no daemon left running');
  } finally {
    await dst.client().del('foreign');
    p.remove();
  }
});
