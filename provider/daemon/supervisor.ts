// The detached daemon is two processes: this small supervisor (what spawnDaemon starts, the pid in daemon.pid) and
// the worker it forks, `redis-sync run --config -`, which does the sync.
//
// - The spec comes in on the supervisor's standard input and stays in its memory only; each worker gets it on its
//   own standard input. Passwords are never in argv, the environment, a log or a file.
// - A worker that crashes (killed, aborted, an uncaught exception) is restarted after a capped exponential backoff
//   and resumes from its checkpoint. `crashLimit` crashes within `crashWindowMs` is a crash loop: the task ends in
//   Failed, with the last crash written to status.json.
// - A worker that ends the task itself is not restarted: exit 0 (stopped), 1 with the task Failed or an error it
//   reported ("redis-sync: ..." on stderr: prechecks, a destination error), 2 (invalid spec or usage).
// - SIGTERM/SIGINT to the supervisor go to the worker, which flushes what is in flight, saves its checkpoint and
//   exits; after `stopGraceMs` it is killed. The worker watches its IPC channel to the supervisor (worker-guard.ts),
//   so killing the supervisor, even with SIGKILL, stops the worker too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isAlive } from '../state/process-alive';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readJson, taskPaths, writeFileAtomic, type TaskPaths } from '../state/files';
import { isEndState, type TaskStatus } from '../state/status';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SupervisorOptions {
  /** Crashes within crashWindowMs that make a crash loop (the task then fails). */
  crashLimit: number;
  crashWindowMs: number;
  /** First restart delay; doubles with each consecutive crash up to restartMaxMs. */
  restartMinMs: number;
  restartMaxMs: number;
  /** A worker that ran this long before crashing restarts after restartMinMs again. */
  healthyAfterMs: number;
  /** How long a stopping worker may take to flush and save its checkpoint before it is killed. */
  stopGraceMs: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  crashLimit: 5,
  crashWindowMs: 120_000,
  restartMinMs: 500,
  restartMaxMs: 30_000,
  healthyAfterMs: 60_000,
  stopGraceMs: 15_000,
};

const OPTION_FLAGS: Record<keyof SupervisorOptions, string> = {
  crashLimit: '--crash-limit',
  crashWindowMs: '--crash-window-ms',
  restartMinMs: '--restart-min-ms',
  restartMaxMs: '--restart-max-ms',
  healthyAfterMs: '--healthy-after-ms',
  stopGraceMs: '--stop-grace-ms',
};

/** The worker's entry point and the guard it is started with. */
export const CLI_PATH = join(__dirname, '..', '..', '..', 'bin', 'redis-sync');
export const GUARD_PATH = join(__dirname, 'worker-guard.js');
export const SUPERVISOR_PATH = __filename;

/** The supervisor's command line: options (no secrets), then `--` and the worker's extra `run` arguments. */
export function supervisorArgv(stateDir: string, opts: Partial<SupervisorOptions>, workerArgs: string[], task?: string): string[] {
  // --task only names the task in `ps` (which daemon is which on a host that runs several); the spec is on stdin.
  const out = [...(task ? ['--task', task] : []), '--state-dir', stateDir];
  for (const [k, flag] of Object.entries(OPTION_FLAGS) as Array<[keyof SupervisorOptions, string]>) {
    if (opts[k] !== undefined) out.push(flag, String(opts[k]));
  }
  return [...out, '--', ...workerArgs];
}

export function parseSupervisorArgv(argv: string[]): { stateDir: string; options: SupervisorOptions; workerArgs: string[] } {
  const sep = argv.indexOf('--');
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const workerArgs = sep < 0 ? [] : argv.slice(sep + 1);
  const options = { ...DEFAULT_SUPERVISOR_OPTIONS };
  let stateDir: string | null = null;
  for (let i = 0; i < own.length; i += 2) {
    const flag = own[i];
    const value = own[i + 1];
    if (value === undefined) throw new Error(`supervisor: ${flag} needs a value`);
    if (flag === '--state-dir') { stateDir = value; continue; }
    if (flag === '--task') continue;
    const key = (Object.keys(OPTION_FLAGS) as Array<keyof SupervisorOptions>).find((k) => OPTION_FLAGS[k] === flag);
    const n = Number(value);
    if (!key || !Number.isFinite(n) || n < 0) throw new Error(`supervisor: unknown option or bad value: ${flag} ${value}`);
    options[key] = n;
  }
  if (!stateDir) throw new Error('supervisor: --state-dir is required');
  return { stateDir, options, workerArgs };
}

/** The worker's pid file: lets a new supervisor wait for an old worker, and tests find the worker. */
export interface WorkerPidFile {
  pid: number;
  supervisorPid: number;
  startedAt: string;
}

export function workerPidPath(paths: TaskPaths): string {
  return join(paths.dir, 'worker.pid');
}

/**
 * Written when the daemon ended the task itself (stopped on request, or failed for good) and removed when a daemon
 * starts: what tells a keeper (`redis-sync start --unless-stopped`) a supervisor that was killed outright, which it
 * restarts, from a task that was stopped on purpose, which it leaves be. The status cannot: a killed supervisor's
 * worker stops gracefully too.
 */
export function endedPath(paths: TaskPaths): string {
  return join(paths.dir, 'ended.json');
}

/** Every secret of a spec, so that text from the worker (stderr) is masked before the supervisor keeps it. */
function secretsOf(spec: unknown): string[] {
  const out: string[] = [];
  const s = spec as { source?: { password?: unknown; tlsKey?: unknown }; destination?: { password?: unknown; tlsKey?: unknown } };
  for (const ep of [s.source, s.destination]) {
    // An inline private key (a path is not secret, the file it names is).
    if (typeof ep?.tlsKey === 'string' && ep.tlsKey.includes('-----BEGIN ')) out.push(ep.tlsKey);
    const pw = ep?.password;
    if (typeof pw !== 'string' || pw === '') continue;
    out.push(pw);
    const colon = pw.indexOf(':');
    if (colon > 0 && colon < pw.length - 1) out.push(pw.slice(colon + 1)); // "user:password"
  }
  return out.sort((a, b) => b.length - a.length);
}

export function maskSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}


function isWorkerProcess(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('redis-sync')) && argv.includes('run');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

type WorkerEnd =
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string; code: number }
  | { kind: 'crashed'; message: string };

export class Supervisor {
  readonly paths: TaskPaths;
  private readonly secrets: string[];
  private readonly task: string;
  private readonly taskId: string;
  /** The lease owner its workers share: a restarted worker takes the lease back at once (state/lease.ts). */
  private readonly owner = randomBytes(8).toString('hex');
  private worker: ChildProcess | null = null;
  private workerStartedAt = 0;
  private stderrTail = '';
  private stopping = false;
  private killTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private readonly crashes: number[] = [];
  private consecutive = 0;
  /** Workers started so far. */
  starts = 0;

  constructor(private readonly specText: string, private readonly stateDir: string, private readonly workerArgs: string[], private readonly opts: SupervisorOptions = DEFAULT_SUPERVISOR_OPTIONS) {
    const spec = JSON.parse(specText) as { name?: unknown; id?: unknown };
    if (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.name)) throw new Error('supervisor: the spec has no valid "name"');
    if (spec.id !== undefined && (typeof spec.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.id))) throw new Error('supervisor: the spec has no valid "id"');
    this.task = spec.name;
    this.taskId = typeof spec.id === 'string' ? spec.id : spec.name;
    this.secrets = secretsOf(spec);
    this.paths = taskPaths(stateDir, this.taskId);
    ensureDir(this.paths.dir);
  }

  /** Runs workers until the task stops or fails for good; resolves with the supervisor's exit code. */
  async run(): Promise<number> {
    this.log('info', 'supervisor started', { stateDir: this.stateDir, options: this.opts });
    rmSync(endedPath(this.paths), { force: true });
    await this.waitForPreviousWorker();
    for (;;) {
      if (this.stopping) return this.finishStopped(null);
      const end = await this.runWorker();
      if (this.stopping || end.kind === 'stopped') return this.finishStopped(end.kind === 'crashed' ? end.message : null);
      if (end.kind === 'failed') {
        this.log('error', 'the worker ended the task: not restarting', { code: end.code, error: end.message });
        this.ensureFailedStatus(end.message);
        this.markEnded('Failed');
        return end.code;
      }
      const now = Date.now();
      const ran = now - this.workerStartedAt;
      this.crashes.push(now);
      while (this.crashes.length && now - this.crashes[0] > this.opts.crashWindowMs) this.crashes.shift();
      this.consecutive = ran >= this.opts.healthyAfterMs ? 1 : this.consecutive + 1;
      if (this.crashes.length >= this.opts.crashLimit) {
        const message = `crash loop: the worker crashed ${this.crashes.length} times within ${Math.round(this.opts.crashWindowMs / 1000)} s; last: ${end.message}`;
        this.log('error', message);
        this.writeStatus('Failed', message);
        this.markEnded('Failed');
        return 1;
      }
      const delay = Math.min(this.opts.restartMinMs * 2 ** (this.consecutive - 1), this.opts.restartMaxMs);
      const message = `the worker crashed (${end.message}); restart ${this.crashes.length} of at most ${this.opts.crashLimit - 1} within ${Math.round(this.opts.crashWindowMs / 1000)} s, in ${delay} ms, from the checkpoint`;
      this.log('warn', message);
      this.writeStatus('Retrying', message);
      await this.sleep(delay);
    }
  }

  /** Graceful stop: SIGTERM to the worker, SIGKILL after stopGraceMs. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log('info', 'stopping: SIGTERM to the worker');
    const w = this.worker;
    if (w && w.exitCode === null && w.signalCode === null) {
      w.kill('SIGTERM');
      this.killTimer = setTimeout(() => {
        this.log('warn', `the worker did not stop within ${this.opts.stopGraceMs} ms: SIGKILL`);
        w.kill('SIGKILL');
      }, this.opts.stopGraceMs);
    }
    this.wake?.();
  }

  private runWorker(): Promise<WorkerEnd> {
    this.stderrTail = '';
    this.workerStartedAt = Date.now();
    this.starts++;
    const child = spawn(process.execPath, ['--require', GUARD_PATH, CLI_PATH, 'run', '--config', '-', '--state-dir', this.stateDir, ...this.workerArgs], {
      stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, REDIS_SYNC_DAEMON: '1', REDIS_SYNC_OWNER: this.owner, REDIS_SYNC_SUPERVISOR_PID: String(process.pid), REDIS_SYNC_WORKER_GRACE_MS: String(this.opts.stopGraceMs) },
    });
    this.worker = child;
    return new Promise((resolve) => {
      child.stdin!.on('error', () => undefined); // a worker that dies at once: its exit says why
      child.stdin!.end(this.specText);
      child.stderr!.on('data', (d: Buffer) => {
        this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
      });
      child.on('error', () => undefined);
      if (child.pid) {
        writeFileAtomic(workerPidPath(this.paths), JSON.stringify({ pid: child.pid, supervisorPid: process.pid, startedAt: new Date(this.workerStartedAt).toISOString() } satisfies WorkerPidFile));
        this.log('info', 'worker started', { workerPid: child.pid, start: this.starts });
      }
      child.once('exit', (code, signal) => {
        // stderr may still hold bytes after 'exit'; 'close' comes once the pipes are drained.
        child.once('close', () => {
          if (this.killTimer) { clearTimeout(this.killTimer); this.killTimer = null; }
          this.worker = null;
          resolve(this.classify(code, signal));
        });
      });
    });
  }

  private classify(code: number | null, signal: NodeJS.Signals | null): WorkerEnd {
    const tail = maskSecrets(this.stderrTail, this.secrets).trim();
    const reported = tail.split('\n').filter((l) => l.startsWith('redis-sync: ')).map((l) => l.slice('redis-sync: '.length));
    const status = this.readStatus();
    const failedNow = status?.state === 'Failed' && Date.parse(status.startedAt) >= this.workerStartedAt - 50;
    if (signal === null && code === 0) return { kind: 'stopped' };
    if (signal === null && code === 2) return { kind: 'failed', code: 2, message: reported.join('; ') || tail || 'invalid spec' };
    if (signal === null && code === 1 && (failedNow || reported.length)) {
      return { kind: 'failed', code: 1, message: status?.lastError?.message ?? (tail || reported.join('; ')) };
    }
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    const lastLine = tail.split('\n').filter((l) => /\S/.test(l) && !/^\s+at /.test(l)).slice(-1)[0];
    return { kind: 'crashed', message: lastLine ? `${how}: ${lastLine.slice(0, 300)}` : how };
  }

  /** A worker of an earlier daemon that is still stopping would write the same destination: wait for it first. */
  private async waitForPreviousWorker(): Promise<void> {
    const prev = readJson<WorkerPidFile>(workerPidPath(this.paths));
    if (!prev || prev.supervisorPid === process.pid || !isAlive(prev.pid) || !isWorkerProcess(prev.pid)) return;
    this.log('warn', 'a worker of an earlier daemon is still running: stopping it first', { workerPid: prev.pid });
    try { process.kill(prev.pid, 'SIGTERM'); } catch { return; }
    const deadline = Date.now() + this.opts.stopGraceMs;
    while (isAlive(prev.pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(prev.pid)) {
      try { process.kill(prev.pid, 'SIGKILL'); } catch { /* gone */ }
      while (isAlive(prev.pid) && Date.now() < deadline + 5000) await sleep(50);
    }
  }

  private finishStopped(lastError: string | null): number {
    const status = this.readStatus();
    if (status && !isEndState(status.state)) this.writeStatus('Stopped', lastError);
    this.log('info', 'supervisor stopped');
    this.markEnded('Stopped');
    return 0;
  }

  private markEnded(state: 'Stopped' | 'Failed'): void {
    writeFileAtomic(endedPath(this.paths), JSON.stringify({ state, at: new Date().toISOString() }));
  }

  private ensureFailedStatus(message: string): void {
    const status = this.readStatus();
    if (status?.state === 'Failed' && Date.parse(status.startedAt) >= this.workerStartedAt - 50) {
      // The worker wrote it; only the pid must be the daemon's (it is, when REDIS_SYNC_SUPERVISOR_PID was honoured).
      if (status.pid !== process.pid) this.writeStatus('Failed', null);
      return;
    }
    this.writeStatus('Failed', message);
  }

  private readStatus(): TaskStatus | null {
    try {
      return readJson<TaskStatus>(this.paths.status);
    } catch {
      return null;
    }
  }

  /** Updates status.json as the daemon: its pid, the state for every stream, and the error when given. */
  private writeStatus(state: TaskStatus['state'], message: string | null): void {
    const now = new Date().toISOString();
    const status: TaskStatus = this.readStatus() ?? { task: this.task, id: this.taskId, state, pid: process.pid, startedAt: now, updatedAt: now, nodes: [], lastError: null, prechecks: [] };
    status.state = state;
    status.pid = process.pid;
    status.updatedAt = now;
    if (message !== null) status.lastError = { message: maskSecrets(message, this.secrets), at: now };
    for (const n of status.nodes) {
      if (state === 'Retrying' && n.state !== 'Retrying') n.retryingSince = now;
      n.state = state;
      if (message !== null && state !== 'Stopped') n.lastError = status.lastError;
    }
    writeFileAtomic(this.paths.status, JSON.stringify(status, null, 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }

  /** One JSON line in the task's log, in pino's shape (level numbers), so one reader serves both processes. */
  private log(level: 'info' | 'warn' | 'error', msg: string, extra: Record<string, unknown> = {}): void {
    const lv = { info: 30, warn: 40, error: 50 }[level];
    const line = JSON.stringify({ level: lv, time: new Date().toISOString(), pid: process.pid, component: 'supervisor', ...extra, msg: maskSecrets(msg, this.secrets) });
    try {
      appendFileSync(this.paths.log, line + '\n', { mode: 0o600 });
    } catch { /* a log that cannot be written must not stop the task */ }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function supervisorMain(argv: string[]): Promise<number> {
  const { stateDir, options, workerArgs } = parseSupervisorArgv(argv);
  const specText = await readStdin();
  const sup = new Supervisor(specText, stateDir, workerArgs, options);
  process.on('SIGTERM', () => sup.stop());
  process.on('SIGINT', () => sup.stop());
  process.on('SIGHUP', () => undefined);
  return sup.run();
}

if (require.main === module) {
  supervisorMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`redis-sync supervisor: ${err.message}\n`);
      process.exit(2);
    },
  );
}
