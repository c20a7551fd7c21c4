// runner.ssh against a real OpenSSH server on a test host that is not this machine (a network namespace with its own
// address and host name, the Redis servers inside it), driven by the real Pulumi CLI running examples/ssh-sync-host:
// `up` whose process group is killed after it exits, refresh from a second clean checkout, a worker killed -9, every
// daemon process killed (a reboot: the @reboot entry brings the task back), destroy leaving nothing on the host, the
// secrets nowhere they must not be; and the four ways a host can be wrong, each failing `up` with what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, type PulumiProject } from '../harness/pulumi';
import { createTestHost, hostUnavailable, type TestHost } from '../harness/netns-host';
import { REPO_ROOT } from '../harness/daemon';
import { tally, countingLoad } from '../faults/helpers';
import { readRemoteTask } from '../../provider/state/remote-task';
import { SshRunner } from '../../provider/runner/ssh/ssh-runner';
import type { TaskSpec } from '../../provider/spec/types';

const SRC_PASS = 'host-src-Pass-5521';
const DST_PASS = 'host-dst-Pass-7734';
const KEYS = 20;
const skip = hostUnavailable();
if (skip) console.log(`# sync-host tests skipped: ${skip}`);

/** examples/ssh-sync-host as the program, transpiled as ts-node would (examples.test.ts type-checks it). */
function exampleProgram(): string {
  const src = readFileSync(join(REPO_ROOT, 'examples', 'ssh-sync-host', 'index.ts'), 'utf8');
  return ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

let host: TestHost;
let src: RedisServer;
let dst: RedisServer;
before(async () => {
  if (skip) return;
  pulumiBinDir();
  host = await createTestHost();
  await host.startSshd(22);
  // The same host as seen by a user whose PATH has a shell and its basic tools but no node.
  const bin = join(host.dir, 'no-node-bin');
  mkdirSync(bin);
  for (const tool of ['sh', 'bash', 'env', 'id', 'hostname', 'cat']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  await host.startSshd(2222, bin);
  const netns = { name: host.ns, address: host.address };
  [src, dst] = await Promise.all([
    startRedis({ password: SRC_PASS, netns, port: 6379, config: { 'repl-backlog-size': '64mb' } }),
    startRedis({ password: DST_PASS, netns, port: 6380 }),
  ]);
});
after(async () => {
  await Promise.all([src?.stop(), dst?.stop()]);
  await host?.stop();
});

const remoteDir = (): string => join(host.dir, 'remote');

async function project(name: string): Promise<PulumiProject> {
  const p = createProject(name, exampleProgram());
  try {
    await p.run(['stack', 'init', 'dev']);
    await configure(p, {
      sourceNode: src.addr, destinationNode: dst.addr, syncHost: host.address, syncHostPublicKey: host.hostKey,
      syncHostDir: remoteDir(), createUsers: 'true', heartbeatMs: '100',
    }, { srcPass: SRC_PASS, dstPass: DST_PASS, syncHostPrivateKey: host.clientKey });
    return p;
  } catch (err) {
    p.remove();
    throw err;
  }
}

/** One `config set-all` for all of them (`config set` would also read a key's leading "-----BEGIN" as a flag). */
async function configure(p: PulumiProject, plain: Record<string, string>, secret: Record<string, string> = {}): Promise<void> {
  const args = [...Object.entries(plain).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`]), ...Object.entries(secret).flatMap(([k, v]) => ['--secret', `${k}=${v}`])];
  await p.run(['config', 'set-all', ...args]);
}

async function the(p: PulumiProject): Promise<Record<string, unknown>> {
  const [out] = await taskOutputs(p);
  assert.ok(out, 'no RedisSyncTask in the state');
  return out;
}

function spec(taskId: string): TaskSpec {
  return { name: 'near-the-data', id: taskId, source: { mode: 'standalone', nodes: [src.addr], password: SRC_PASS }, destination: { mode: 'standalone', nodes: [dst.addr], password: DST_PASS } };
}

/** The task's processes on the host: supervisor and worker (their argv names the task or its state dir). */
function daemonProcesses(taskId: string): number[] {
  return host.pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(taskId);
    } catch { return false; }
  });
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | null | false | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function assertExact(sent: number): Promise<void> {
  const s = await tally(src, 'sh', KEYS);
  assert.equal(s.counters + s.elements, sent);
  const d = await until('the writes on the destination', 20_000, async () => {
    const d = await tally(dst, 'sh', KEYS);
    return JSON.stringify(d) === JSON.stringify(s) ? d : null;
  });
  assert.deepEqual(d, s, 'a write was doubled or lost');
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('runner.ssh: up runs the task on the host and survives the CI job, refresh from another checkout, kill -9, a reboot, destroy leaves nothing', { skip: skip ?? false }, async () => {
  const sshTempBefore = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('redis-sync-ssh-')));
  const a = await project('sync-host');
  let b: PulumiProject | null = null;
  try {
    // The CI job: `pulumi up` (preview included: it probes the host) in a process group that is killed once it exits.
    await a.run(['up', '--yes'], { killGroupAfter: true });
    let out = await the(a);
    const taskId = String(out.taskId);
    assert.equal(out.state, 'Synchronizing');
    const where = out.daemonHost as { hostname: string; addresses: string[] };
    assert.equal(where.hostname, host.hostname, 'daemonHost is the sync host');
    assert.ok(where.addresses.includes(host.address), `daemonHost.addresses ${where.addresses} lacks ${host.address}`);
    assert.ok(host.pids().includes(Number(out.daemonPid)), 'the daemon runs in the host namespace');
    assert.equal(out.runnerHostKey, host.hostKey.split(' ').slice(0, 2).join(' '));
    const c = src.client();
    let sent = await countingLoad(c, 'sh', KEYS, { durationMs: 5000, maxCommands: 200, batch: 10 });
    await assertExact(sent);

    // Another checkout (its own HOME and state dir, the first one's files hidden) sees the task on the host.
    // (With runner.ssh the first checkout's state dir stays empty: made here only to hide it.)
    mkdirSync(a.stateDir, { recursive: true });
    b = createProject('sync-host', exampleProgram(), { backendOf: a, hide: [a.stateDir] });
    await b.run(['stack', 'select', 'dev']);
    await b.run(['refresh', '--yes', '--skip-preview']);
    out = await the(b);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.daemonHost as { hostname: string }).hostname, host.hostname);

    // The worker is killed -9: the supervisor brings it back, from the checkpoint.
    const stateDir = join(remoteDir(), taskId, 'state');
    const workerFile = join(stateDir, taskId, 'worker.pid');
    const worker = (JSON.parse(readFileSync(workerFile, 'utf8')) as { pid: number }).pid;
    process.kill(worker, 'SIGKILL');
    await until('a new worker', 20_000, async () => {
      const w = (JSON.parse(readFileSync(workerFile, 'utf8')) as { pid: number }).pid;
      return w !== worker && host.pids().includes(w);
    });
    sent += await countingLoad(c, 'sh', KEYS, { durationMs: 5000, maxCommands: 200, batch: 10 });
    await assertExact(sent);

    // No service manager on this host: the crontab has an @reboot entry and a keeper that runs every minute. Each is
    // run here as the host's cron would run it: in the host's namespace, with its name.
    const cron = host.exec(['crontab', '-l']).split('\n').filter((l) => l.includes(`redis-sync task ${taskId}`));
    const boot = cron.find((l) => l.startsWith('@reboot '));
    const keeper = cron.find((l) => l.startsWith('* * * * * '));
    assert.ok(boot && keeper, `no @reboot and keeper entries for the task: ${cron.join(' | ')}`);
    const asCron = (line: string, schedule: string): void => {
      host.exec(['unshare', '--uts', 'sh', '-c', `hostname ${host.hostname} && ${line.slice(schedule.length)}`]);
    };
    const backAfter = (old: number, what: string): Promise<unknown> => until(what, 60_000, async () => {
      const r = await readRemoteTask(spec(taskId));
      return r.holder && r.holder.host === host.hostname && r.holder.pid !== old && r.status?.state === 'Synchronizing';
    });

    // The supervisor is killed -9 (its worker follows it): the keeper brings the daemon back.
    const supervisor = daemonProcesses(taskId).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisor.js'))!;
    process.kill(supervisor, 'SIGKILL');
    await until('every daemon process gone', 20_000, async () => daemonProcesses(taskId).length === 0);
    asCron(keeper!, '* * * * * ');
    await backAfter(supervisor, 'the task back after the keeper');
    sent += await countingLoad(c, 'sh', KEYS, { durationMs: 3000, maxCommands: 100, batch: 10 });
    await assertExact(sent);

    // A reboot: every daemon process dies at once; the @reboot entry brings the task back.
    const before = (await readRemoteTask(spec(taskId))).holder!.pid;
    for (const pid of daemonProcesses(taskId)) process.kill(pid, 'SIGKILL');
    await until('every daemon process gone', 10_000, async () => daemonProcesses(taskId).length === 0);
    sent += await countingLoad(c, 'sh', KEYS, { durationMs: 3000, maxCommands: 100, batch: 10 });
    asCron(boot!, '@reboot ');
    await backAfter(before, 'the task back after the boot entry');
    sent += await countingLoad(c, 'sh', KEYS, { durationMs: 3000, maxCommands: 100, batch: 10 });
    await assertExact(sent);

    // An update from the first checkout restarts the daemon on the host with the new configuration.
    await a.setConfig('heartbeatMs', '200');
    await a.run(['up', '--yes', '--skip-preview']);
    out = await the(a);
    assert.equal(out.state, 'Synchronizing');
    assert.equal((out.daemonHost as { hostname: string }).hostname, host.hostname);
    assert.ok(host.pids().includes(Number(out.daemonPid)), 'the updated daemon runs on the host');
    sent += await countingLoad(c, 'sh', KEYS, { durationMs: 3000, maxCommands: 100, batch: 10 });
    await assertExact(sent);

    // The secrets: never in the state, a process's argv or environment, the crontab, sshd's log, the task's files
    // on the host (spec.json excepted: the 0600 file the boot entry starts from) or this machine's.
    const key = host.clientKey.split('\n')[1];
    const specFile = join(remoteDir(), taskId, 'spec.json');
    // The daemon's own passwords too: with access.createUsers they are the ACL users' generated ones.
    const daemonSpec = JSON.parse(readFileSync(specFile, 'utf8')) as TaskSpec;
    const generated = [daemonSpec.source.password, daemonSpec.destination.password].map((p) => p!.slice(p!.indexOf(':') + 1));
    assert.ok(generated.every((p) => p.length >= 16), 'the daemon runs with generated passwords');
    const secrets = [SRC_PASS, DST_PASS, key, ...generated];
    const places: Array<[string, string]> = [
      ['stack export (a)', (await a.run(['stack', 'export'])).stdout],
      ['stack export (b)', (await b.run(['stack', 'export'])).stdout],
      ['crontab', host.exec(['crontab', '-l'])],
      ['sshd log', readFileSync(host.sshdLog(22), 'utf8')],
    ];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      for (const f of ['cmdline', 'environ']) {
        try { places.push([`/proc/${pid}/${f}`, readFileSync(`/proc/${pid}/${f}`, 'latin1')]); } catch { /* gone */ }
      }
    }
    for (const f of [...filesUnder(join(remoteDir(), taskId)), ...filesUnder(a.stateDir)]) {
      // A temporary file the running daemon renamed in the meantime is in the file it became.
      if (f !== specFile) { try { places.push([f, readFileSync(f, 'latin1')]); } catch { /* renamed */ } }
    }
    for (const [place, text] of places) for (const s of secrets) assert.ok(!text.includes(s), `a secret (${s.slice(0, 4)}...) in ${place}`);
    assert.equal(statSync(specFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(remoteDir(), taskId)).mode & 0o777, 0o700);
    assert.ok(!readFileSync(specFile, 'utf8').includes(key), 'the SSH key reached the host');

    // Destroy from the second checkout: nothing of the task is left on the host or its servers.
    await b.run(['destroy', '--yes', '--skip-preview']);
    assert.deepEqual(daemonProcesses(taskId), [], 'a daemon process is left');
    assert.ok(!existsSync(join(remoteDir(), taskId)), 'the task directory is left');
    assert.ok(!existsSync(remoteDir()), 'the runner directory is left');
    assert.ok(!host.exec(['sh', '-c', 'crontab -l 2>/dev/null || true']).includes(taskId), 'the @reboot entry is left');
    const keys = await dst.client().keys('*redis-sync*');
    assert.deepEqual(keys, [], 'redis-sync keys left on the destination');
    for (const s of [src, dst]) {
      const users = (await s.client().call('ACL', 'USERS')) as string[];
      assert.deepEqual(users.filter((u) => u.includes('redis-sync')), [], 'ACL users left');
    }
    const sshTempAfter = readdirSync(tmpdir()).filter((f) => f.startsWith('redis-sync-ssh-') && !sshTempBefore.has(f));
    assert.deepEqual(sshTempAfter, [], 'a temporary SSH key directory is left on this machine');
  } finally {
    await (b ?? a).run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    b?.remove();
    a.remove();
  }
});

test('runner.ssh: a wrong host key, a refused key, an unreachable host, a host without Node fail up with what to do and leave nothing', { skip: skip ?? false }, async () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>, RegExp]> = [
    ['wrong host key', { syncHostPublicKey: host.otherHostKey }, {}, /wrong host key: .*did not show the pinned host key/],
    ['refused key', {}, { syncHostPrivateKey: host.strangerKey }, /key refused: .*did not accept runner\.ssh\.privateKey.*authorized_keys/],
    ['unreachable', { syncHostPort: '2299' }, {}, /host unreachable: cannot connect to .*:2299.*Connection refused/],
    ['no node', { syncHostPort: '2222' }, {}, /no Node\.js on .*:2222.*Nothing was installed/],
  ];
  const p = await project('sync-host-bad');
  try {
    for (const [name, plain, secret, expected] of cases) {
      // Each case from the good configuration with one thing wrong.
      await configure(p, { syncHostPublicKey: host.hostKey, syncHostPort: '22', ...plain }, { syncHostPrivateKey: host.clientKey, ...secret });
      const r = await p.run(['up', '--yes'], { allowFail: true });
      assert.notEqual(r.code, 0, `${name}: up succeeded`);
      assert.match(r.stdout + r.stderr, expected, name);
      assert.deepEqual(await taskOutputs(p), [], `${name}: a resource was created`);
      assert.ok(!existsSync(remoteDir()), `${name}: files were left on the host`);
    }
  } finally {
    p.remove();
  }
});

test('runner.ssh.jump: the host through a bastion that has its own pinned key', { skip: skip ?? false }, async () => {
  // The test host is its own bastion: the hop is real (ssh -W through the first connection), the machine the same.
  const target = { host: host.address, user: 'root', privateKey: host.clientKey, hostKey: host.hostKey, jump: { host: host.address, user: 'root', hostKey: host.hostKey } };
  const ok = new SshRunner(target, null);
  try {
    await ok.probe();
    assert.match(ok.where, /via root@/);
  } finally { ok.close(); }
  const wrong = new SshRunner({ ...target, jump: { ...target.jump, hostKey: host.otherHostKey } }, null);
  try {
    await assert.rejects(wrong.probe(), /wrong host key/);
  } finally { wrong.close(); }
});
