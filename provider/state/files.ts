// The state dir of one task: <stateDir>/<task>/ with the checkpoint, the status, the log and the daemon's pid.
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';

export function defaultStateDir(): string {
  return process.env.REDIS_SYNC_STATE_DIR ?? join(homedir(), '.redis-sync');
}

export interface TaskPaths {
  dir: string;
  checkpoint: string;
  status: string;
  log: string;
  pid: string;
  /** The spec the daemon runs with, mode 0600: it may hold passwords, so it is the one file that may. */
  spec: string;
}

export function taskPaths(stateDir: string, task: string): TaskPaths {
  const dir = join(stateDir, task);
  return {
    dir,
    checkpoint: join(dir, 'checkpoint.json'),
    status: join(dir, 'status.json'),
    log: join(dir, 'daemon.log'),
    pid: join(dir, 'daemon.pid'),
    spec: join(dir, 'task.json'),
  };
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Write-then-rename, so a reader or a crash sees either the old file or the new one, never a torn one. durable adds
 * an fsync (the checkpoint); the status is rewritten four times a second and a lost update only ages it.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600, durable = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
