// What the status, list, logs and stop commands know about the tasks in a state dir: their names, their published
// status and whether the daemon that publishes it is still alive.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { taskPaths } from '../state/files';
import { isEndState, type TaskStatus } from '../state/status';
import { daemonPid, isAlive } from '../daemon/daemon-process';

/** Tasks of a state dir: directories holding a status, a pid file or a log. */
export function taskNames(stateDir: string): string[] {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir, { withFileTypes: true })
    .filter((d) => {
      if (!d.isDirectory()) return false;
      const p = taskPaths(stateDir, d.name);
      return existsSync(p.status) || existsSync(p.pid) || existsSync(p.log);
    })
    .map((d) => d.name)
    .sort();
}

/** The status file, or null when there is none yet; a file being replaced is read again once. */
export function readTaskStatus(stateDir: string, task: string): TaskStatus | null {
  const path = taskPaths(stateDir, task).status;
  for (let i = 0; i < 2; i++) {
    if (!existsSync(path)) return null;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as TaskStatus;
    } catch {
      /* written with rename, so a torn read is unlikely; try once more */
    }
  }
  return null;
}

export interface TaskView {
  name: string;
  status: TaskStatus | null;
  /** The pid of a live daemon (from the pid file, else the one in the status), or null. */
  pid: number | null;
  /**
   * The state a user should see: the published one, or DaemonNotRunning when the status says the task is running
   * but its process is gone (killed, host rebooted), as `pulumi refresh` shows it.
   */
  state: string;
}

/**
 * Whether a live pid is this state dir's daemon and not a process that got a dead daemon's pid since (pids wrap
 * around, at 32768 on many hosts): its command line must be redis-sync's (or its supervisor's) and name no other
 * --state-dir. Without /proc (not Linux) the pid is trusted.
 */
export function isTaskProcess(pid: number, stateDir: string): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return existsSync('/proc/self') ? false : true;
  }
  if (!argv.some((a) => /(^|\/)redis-sync$|(^|\/)supervisor\.js$/.test(a))) return false;
  const i = argv.indexOf('--state-dir');
  const dir = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--state-dir='))?.slice('--state-dir='.length);
  if (dir === undefined) return true; // the spec's stateDir or the default: cannot tell, trust the pid
  let cwd = '/';
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`); // a relative --state-dir is relative to the daemon's directory
  } catch {
    return true;
  }
  return resolve(cwd, dir) === resolve(stateDir);
}

export function viewTask(stateDir: string, name: string): TaskView {
  const status = readTaskStatus(stateDir, name);
  let pid = daemonPid(stateDir, name);
  if (pid !== null && !isTaskProcess(pid, stateDir)) pid = null;
  if (pid === null && status && !isEndState(status.state) && isAlive(status.pid) && isTaskProcess(status.pid, stateDir)) pid = status.pid;
  let state: string = status?.state ?? (pid ? 'Starting' : 'DaemonNotRunning');
  if (status && pid === null && !isEndState(status.state)) state = 'DaemonNotRunning';
  return { name, status, pid, state };
}

/** "3.2s ago", "5m ago": how old a timestamp is. */
export function age(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '-';
  return `${duration(Math.max(0, ms))} ago`;
}

export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
