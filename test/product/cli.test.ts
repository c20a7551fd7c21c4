// redis-sync list, logs and stop against real daemons: a foreground `redis-sync run`, a detached supervised daemon as
// `pulumi up` starts it, and a task whose daemon is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../harness/redis';
import { startDaemon, removeDir } from '../harness/daemon';
import { cli, cliAsync, fillKeys, taskSpec, until } from './helpers';
import { newNodeStatus, type TaskStatus } from '../../provider/state/status';
import { spawnDaemon, daemonPid, isAlive, stopDaemon } from '../../provider/daemon/daemon-process';
import { readTaskStatus } from '../../provider/cli/task-dir';

/** A pid that surely belongs to no process: one that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** A task dir whose status says Synchronizing, written by a daemon that is gone (killed, host rebooted). */
function ghostTask(stateDir: string, name: string): string {
  const dir = join(stateDir, name);
  mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  const status: TaskStatus = {
    task: name, state: 'Synchronizing', pid: deadPid(), startedAt: now, updatedAt: now,
    nodes: [{ ...newNodeStatus('127.0.0.1:1'), state: 'Synchronizing', lagMs: 3 }], lastError: null, prechecks: [],
  };
  writeFileSync(join(dir, 'status.json'), JSON.stringify(status));
  writeFileSync(join(dir, 'daemon.log'), '');
  return dir;
}

function row(list: string, task: string): string[] {
  const line = list.split('\n').find((l) => l.startsWith(`${task} `));
  assert.ok(line, `no row for ${task} in:\n${list}`);
  return line.trim().split(/\s{2,}/);
}

test('list, logs and stop on a foreground daemon and on a task whose daemon is gone', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  await fillKeys(src.client(), 2000);
  const d = startDaemon(taskSpec('alpha', src, dst));
  const sd = d.stateDir;
  try {
    await d.waitForState('Synchronizing', 60_000);
    await until('a lag measurement', 15_000, () => (d.status()?.nodes[0].lagMs !== null ? true : undefined));
    const ghostDir = ghostTask(sd, 'ghost');

    // list: one line per task, with the daemon's liveness.
    const l = cli(['list', '--state-dir', sd]);
    assert.equal(l.status, 0, l.stderr);
    assert.match(l.stdout, /^TASK\s+STATE\s+PID\s+DAEMON\s+LAG\s+UPDATED/);
    const [name, state, pid, daemon, lag, updated] = row(l.stdout, 'alpha');
    assert.deepEqual([name, state, pid, daemon], ['alpha', 'Synchronizing', String(d.child.pid), 'running']);
    assert.match(lag, /^\d+ ms$/);
    assert.match(updated, /^\d+\.\ds ago$/);
    const g = row(l.stdout, 'ghost');
    assert.deepEqual([g[1], g[3]], ['DaemonNotRunning', 'no']);
    const lj = JSON.parse(cli(['list', '--json', '--state-dir', sd]).stdout) as Array<{ task: string; state: string; daemonRunning: boolean }>;
    assert.deepEqual(lj.map((t) => [t.task, t.state, t.daemonRunning]), [['alpha', 'Synchronizing', true], ['ghost', 'DaemonNotRunning', false]]);

    // status of the ghost says what happened and what to do.
    const gs = cli(['status', 'ghost', '--state-dir', sd]);
    assert.match(gs.stdout, /task ghost {2}DaemonNotRunning/);
    assert.match(gs.stdout, /the daemon is gone .* resumes it from its checkpoint/);

    // logs: the pino lines, readable.
    const logs = cli(['logs', 'alpha', '--state-dir', sd]);
    assert.equal(logs.status, 0, logs.stderr);
    const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';
    assert.match(logs.stdout, new RegExp(`^${TIME} INFO  PSYNC \\? -1  node=127\\.0\\.0\\.1:${src.port} psync=full$`, 'm'));
    assert.match(logs.stdout, new RegExp(`^${TIME} INFO  \\+FULLRESYNC: full sync starts  node=\\S+ replid=[0-9a-f]{40} offset=\\d+$`, 'm'));
    assert.match(logs.stdout, /^.* INFO  full sync done  node=\S+ keys=2000 bytes=\d+( \S+=\S+)*$/m);
    assert.ok(!/^\{/m.test(logs.stdout), 'no raw JSON lines');
    assert.ok(!/pid=/.test(logs.stdout), 'the pid of every line is left out');
    assert.equal(cli(['logs', 'alpha', '-n', '1', '--state-dir', sd]).stdout.trim().split('\n').length, 1);
    const warn = cli(['logs', 'alpha', '--level', 'warn', '--state-dir', sd]).stdout.trim();
    for (const line of warn ? warn.split('\n') : []) assert.match(line, / (WARN|ERROR|FATAL) /);
    assert.equal(cli(['logs', 'alpha', '--level', 'loud', '--state-dir', sd]).status, 2);
    assert.match(cli(['logs', 'nosuch', '--state-dir', sd]).stderr, /no task "nosuch"/);

    // logs -f: lines written after it started, bounded by --count.
    const f = cliAsync(['logs', 'ghost', '-f', '--count', '2', '--state-dir', sd], 20_000);
    await until('logs -f to start', 5000, () => (f.output() === '' ? true : undefined));
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(join(ghostDir, 'daemon.log'), `${JSON.stringify({ level: 40, time: '2026-01-02T03:04:05.678Z', pid: 1, node: 'h:1', offset: 42, msg: 'connection lost: retrying' })}\n`);
    appendFileSync(join(ghostDir, 'daemon.log'), 'not json at all\n');
    const fr = await f.done;
    assert.equal(fr.status, 0, fr.stderr);
    assert.equal(fr.stdout, '2026-01-02 03:04:05.678 WARN  connection lost: retrying  node=h:1 offset=42\nnot json at all\n');
    // logs -f ends on Ctrl-C.
    const f2 = cliAsync(['logs', 'ghost', '-f', '--state-dir', sd], 20_000);
    await until('logs -f to print the existing lines', 5000, () => (f2.output().includes('not json at all') ? true : undefined));
    f2.kill('SIGINT');
    assert.equal((await f2.done).status, 0);

    // A status whose pid now belongs to another program, or to another state dir's daemon, is not taken for this
    // task's daemon: list shows it gone and stop signals nobody.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const sd2 = mkdtempSync(join(tmpdir(), 'redis-sync-product-'));
    try {
      const reused = join(ghostTask(sd, 'reused'), 'status.json');
      writeFileSync(reused, JSON.stringify({ ...JSON.parse(readFileSync(reused, 'utf8')), pid: other.pid }));
      const foreign = join(ghostTask(sd2, 'foreign'), 'status.json');
      writeFileSync(foreign, JSON.stringify({ ...JSON.parse(readFileSync(foreign, 'utf8')), pid: d.child.pid }));
      assert.deepEqual(row(cli(['list', '--state-dir', sd]).stdout, 'reused').slice(1, 4), ['DaemonNotRunning', String(other.pid), 'no']);
      assert.match(cli(['stop', 'reused', '--state-dir', sd]).stdout, /no daemon running/);
      assert.match(cli(['stop', 'foreign', '--state-dir', sd2]).stdout, /no daemon running/);
      assert.equal(other.exitCode, null, 'the other program was not signalled');
      assert.equal(d.child.exitCode, null, 'the other state dir\'s daemon was not signalled');
    } finally {
      other.kill('SIGKILL');
      removeDir(sd2);
    }

    // stop: graceful, says where the task stopped; idempotent.
    const s = cli(['stop', 'alpha', '--state-dir', sd]);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /task alpha: Stopped in [\d.]+ s; checkpoint 127\.0\.0\.1:\d+ at offset \d+/);
    assert.equal(await d.exited(), 0);
    assert.equal(d.status()?.state, 'Stopped');
    const again = cli(['stop', 'alpha', '--state-dir', sd]);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /no daemon running \(state Stopped\); nothing to stop/);
    assert.match(cli(['stop', 'ghost', '--state-dir', sd]).stdout, /no daemon running \(state DaemonNotRunning\)/);
    const missing = cli(['stop', 'nosuch', '--state-dir', sd]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no task "nosuch" in .*redis-sync list/);
    assert.deepEqual(row(cli(['list', '--state-dir', sd]).stdout, 'alpha').slice(1, 4), ['Stopped', String(d.child.pid), 'no']);
  } finally {
    await d.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('stop a detached daemon as pulumi up starts it', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const stateDir = mkdtempSync(join(tmpdir(), 'redis-sync-product-'));
  let pid = 0;
  try {
    pid = await spawnDaemon(taskSpec('detached', src, dst), stateDir);
    await until('the detached daemon to synchronize', 60_000, () => (readTaskStatus(stateDir, 'detached')?.state === 'Synchronizing' ? true : undefined), 100);
    assert.deepEqual(row(cli(['list', '--state-dir', stateDir]).stdout, 'detached').slice(1, 4), ['Synchronizing', String(pid), 'running']);
    const s = cli(['stop', 'detached', '--state-dir', stateDir]);
    assert.equal(s.status, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /task detached: Stopped in/);
    assert.equal(isAlive(pid), false);
    assert.equal(daemonPid(stateDir, 'detached'), null);
    assert.equal(readTaskStatus(stateDir, 'detached')?.state, 'Stopped');
  } finally {
    if (pid && isAlive(pid)) await stopDaemon(stateDir, 'detached', 5000);
    await Promise.all([src.stop(), dst.stop()]);
    removeDir(stateDir);
  }
});

test('every command has --help; a wrong option says which and where to look', () => {
  for (const name of ['run', 'verify', 'status', 'list', 'logs', 'stop']) {
    const h = cli([name, '--help']);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, new RegExp(`^Usage:\\n  redis-sync ${name}\\b`), h.stdout);
  }
  const bad = cli(['list', '--bogus']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'redis-sync list: Unknown option \'--bogus\'; see "redis-sync list --help"\n');
  const unknown = cli(['lsit']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "lsit"[\s\S]*redis-sync list/);
  assert.match(cli(['help']).stdout, /redis-sync logs TASK \[-f\]/);
});
