// The detached daemon: spawned by `pulumi up` (or anyone) so that it outlives the process that started it. It is a
// supervisor (supervisor.ts; its pid is in daemon.pid) that runs the worker, `redis-sync run`, and restarts it when it
// crashes. The spec, which may hold passwords, goes over a pipe on the supervisor's standard input and from there on
// the worker's: never in argv, the environment or a file.
import { spawn } from 'node:child_process';
import { readJson, taskPaths, ensureDir, writeFileAtomic } from '../state/files';
import type { TaskSpec } from '../spec/types';
import type { TaskStatus } from '../state/status';
import { SUPERVISOR_PATH, supervisorArgv, workerPidPath, type SupervisorOptions, type WorkerPidFile } from './supervisor';

export type { SupervisorOptions } from './supervisor';
export { isAlive } from '../state/process-alive';
import { isAlive } from '../state/process-alive';
import { setTimeout as sleep } from 'node:timers/promises';


export function daemonPid(stateDir: string, task: string): number | null {
  const pid = readJson<{ pid: number }>(taskPaths(stateDir, task).pid)?.pid ?? null;
  return pid && isAlive(pid) ? pid : null;
}

export function readStatus(stateDir: string, task: string): TaskStatus | null {
  return readJson<TaskStatus>(taskPaths(stateDir, task).status);
}

/** The worker's pid while it runs (the supervisor restarts it under a new pid after a crash). */
export function workerPid(stateDir: string, task: string): number | null {
  const pid = readJson<WorkerPidFile>(workerPidPath(taskPaths(stateDir, task)))?.pid ?? null;
  return pid && isAlive(pid) ? pid : null;
}

/**
 * Starts the supervised daemon detached; resolves with the supervisor's pid once it has taken the spec. extraArgs go
 * to each `redis-sync run` (e.g. --skip-prechecks); supervisor tunes restarts and the stop grace period.
 */
export async function spawnDaemon(spec: TaskSpec, stateDir: string, extraArgs: string[] = [], supervisor: Partial<SupervisorOptions> = {}): Promise<number> {
  const paths = taskPaths(stateDir, spec.id ?? spec.name);
  ensureDir(paths.dir);
  const child = spawn(process.execPath, [SUPERVISOR_PATH, ...supervisorArgv(stateDir, supervisor, extraArgs, spec.id && spec.id !== spec.name ? `${spec.name}/${spec.id}` : spec.name)], {
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

/**
 * SIGTERM to the supervisor (it forwards it: the worker flushes and saves its checkpoint), then SIGKILL after the
 * grace period. Returns once the worker is gone too, so that a new daemon never writes next to an old one.
 */
export async function stopDaemon(stateDir: string, task: string, graceMs = 20_000): Promise<boolean> {
  const pid = daemonPid(stateDir, task) ?? readStatus(stateDir, task)?.pid ?? null;
  const worker = workerPid(stateDir, task);
  if ((!pid || !isAlive(pid)) && !worker) return false;
  const deadline = Date.now() + graceMs;
  if (pid && isAlive(pid)) {
    signal(pid, 'SIGTERM');
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) signal(pid, 'SIGKILL');
  }
  // A worker whose supervisor is gone stops by itself (worker-guard.ts); one that does not is killed.
  if (worker && isAlive(worker)) {
    if (!pid || !isAlive(pid)) signal(worker, 'SIGTERM');
    const workerDeadline = Math.max(deadline, Date.now() + 2000);
    while (isAlive(worker) && Date.now() < workerDeadline) await sleep(50);
    if (isAlive(worker)) signal(worker, 'SIGKILL');
  }
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch { /* already gone */ }
}
