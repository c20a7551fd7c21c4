// Runs `redis-sync run` as a child process, the way the detached daemon runs, and reads its status file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TaskSpec } from '../../provider/spec/types';
import type { TaskStatus, TaskState } from '../../provider/state/status';
import { sleep } from './redis';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'redis-sync');

export interface Daemon {
  child: ChildProcess;
  stateDir: string;
  specPath: string;
  output(): string;
  status(): TaskStatus | null;
  waitFor(pred: (s: TaskStatus) => boolean, timeoutMs: number, what: string): Promise<TaskStatus>;
  waitForState(state: TaskState, timeoutMs?: number): Promise<TaskStatus>;
  /** Resolves with the exit code. */
  exited(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export function writeSpec(spec: TaskSpec, dir?: string): { specPath: string; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'redis-sync-task-'));
  const specPath = join(d, 'task.json');
  writeFileSync(specPath, JSON.stringify(spec, null, 2), { mode: 0o600 });
  return { specPath, dir: d };
}

export function startDaemon(spec: TaskSpec, opts: { stateDir?: string; args?: string[] } = {}): Daemon {
  const { specPath, dir } = writeSpec(spec);
  const stateDir = opts.stateDir ?? join(dir, 'state');
  const child = spawn(process.execPath, [CLI, 'run', '--config', specPath, '--state-dir', stateDir, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exitPromise = new Promise<number | null>((res) => child.once('exit', (code) => { live.delete(child); res(code); }));
  const statusPath = join(stateDir, spec.name, 'status.json');
  // A restarted daemon finds its predecessor's status file: only this process's own status counts.
  const readStatus = (): TaskStatus | null => {
    if (!existsSync(statusPath)) return null;
    try {
      const s = JSON.parse(readFileSync(statusPath, 'utf8')) as TaskStatus;
      return s.pid === child.pid ? s : null;
    } catch { return null; }
  };
  const d: Daemon = {
    child, stateDir, specPath,
    output: () => out,
    status: readStatus,
    async waitFor(pred, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let last: TaskStatus | null = null;
      for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
        last = readStatus();
        if (last && pred(last)) return last;
        if (child.exitCode !== null && !(last && pred(last))) break;
        await sleep(50);
      }
      throw new Error(`daemon did not reach ${what} within ${timeoutMs} ms; last status: ${JSON.stringify(last)}\noutput: ${out}`);
    },
    waitForState(state, timeoutMs = 60_000) {
      return d.waitFor((s) => s.state === state, timeoutMs, `state ${state}`);
    },
    exited: () => exitPromise,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exitPromise;
      clearTimeout(t);
      return code;
    },
  };
  return d;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The daemon's exit code, or 'still running' after timeoutMs (an unref'd timer: it never keeps a test file alive). */
export function exitedWithin(d: Daemon, timeoutMs: number): Promise<number | null | 'still running'> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('still running'), timeoutMs);
    t.unref();
    void d.exited().then((code) => { clearTimeout(t); resolve(code); });
  });
}
