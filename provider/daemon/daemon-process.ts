// The detached daemon: spawned by `pulumi up` (or anyone) so that it outlives the process that started it. Its spec,
// which may hold passwords, goes over a pipe on its standard input: never in argv, never in a file.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { readJson, taskPaths, ensureDir, writeFileAtomic } from '../state/files';
import type { TaskSpec } from '../spec/types';
import type { TaskStatus } from '../state/status';

const CLI = join(__dirname, '..', '..', '..', 'bin', 'redis-sync');

/** A killed daemon stays a zombie until its (adopted) parent reaps it, and kill(pid, 0) still succeeds on one. */
export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust kill()
  }
}

export function daemonPid(stateDir: string, task: string): number | null {
  const pid = readJson<{ pid: number }>(taskPaths(stateDir, task).pid)?.pid ?? null;
  return pid && isAlive(pid) ? pid : null;
}

export function readStatus(stateDir: string, task: string): TaskStatus | null {
  return readJson<TaskStatus>(taskPaths(stateDir, task).status);
}

/** Starts `redis-sync run` detached; resolves with its pid once it has taken the spec. */
export async function spawnDaemon(spec: TaskSpec, stateDir: string, extraArgs: string[] = []): Promise<number> {
  const paths = taskPaths(stateDir, spec.name);
  ensureDir(paths.dir);
  const child = spawn(process.execPath, [CLI, 'run', '--config', '-', '--state-dir', stateDir, ...extraArgs], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, REDIS_SYNC_DAEMON: '1' },
  });
  if (!child.pid) throw new Error('could not start the redis-sync daemon (node not found?)');
  await new Promise<void>((resolve, reject) => {
    child.stdin!.once('error', reject);
    child.stdin!.end(JSON.stringify(spec), () => resolve());
  });
  child.unref();
  writeFileAtomic(paths.pid, JSON.stringify({ pid: child.pid, startedAt: new Date().toISOString() }));
  return child.pid;
}

/** SIGTERM (the daemon flushes and saves its checkpoint), then SIGKILL after the grace period. */
export async function stopDaemon(stateDir: string, task: string, graceMs = 20_000): Promise<boolean> {
  const pid = daemonPid(stateDir, task) ?? readStatus(stateDir, task)?.pid ?? null;
  if (!pid || !isAlive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}
