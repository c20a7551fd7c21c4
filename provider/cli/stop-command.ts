// `redis-sync stop TASK [--timeout SECONDS] [--state-dir DIR]`: graceful stop (SIGTERM: the daemon flushes what is in
// flight and saves its checkpoint), SIGKILL only after the timeout. A stopped task resumes from its checkpoint.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { defaultStateDir, taskPaths } from '../state/files';
import { daemonPid, stopDaemon } from '../daemon/daemon-process';
import { UsageError } from './main';
import { readTaskStatus, viewTask } from './task-dir';

/** A pid taken from a status file may have been reused by another program since: only a redis-sync process is signalled. */
function isRedisSync(pid: number): boolean {
  try {
    return /redis-sync/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust the pid
  }
}

export async function stopCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'state-dir': { type: 'string' }, timeout: { type: 'string' } },
  });
  const task = positionals[0];
  if (!task || positionals.length > 1) throw new UsageError('usage: redis-sync stop TASK [--timeout SECONDS] [--state-dir DIR]');
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const timeoutS = values.timeout === undefined ? 20 : Number(values.timeout);
  if (!(timeoutS > 0 && timeoutS <= 3600)) throw new UsageError(`--timeout is in seconds, from 1 to 3600, not "${values.timeout}"`);
  if (!existsSync(taskPaths(stateDir, task).dir)) throw new UsageError(`no task "${task}" in ${stateDir}: see "redis-sync list --state-dir ${stateDir}"`);

  const before = viewTask(stateDir, task);
  // The pid file is the daemon's own; a pid known only from the status is checked to still be a redis-sync process.
  if (before.pid === null || (daemonPid(stateDir, task) === null && !isRedisSync(before.pid))) {
    process.stdout.write(`task ${task}: no daemon running (state ${before.state}); nothing to stop\n`);
    return 0;
  }
  process.stdout.write(`task ${task}: stopping daemon pid ${before.pid} (flushing what is in flight, saving the checkpoint)...\n`);
  const started = Date.now();
  await stopDaemon(stateDir, task, timeoutS * 1000);
  const after = readTaskStatus(stateDir, task);
  const graceful = after !== null && after.pid === before.pid && (after.state === 'Stopped' || after.state === 'Failed');
  if (!graceful) {
    process.stderr.write(`task ${task}: the daemon did not stop within ${timeoutS} s and was killed (SIGKILL); the next start resumes from its last checkpoint. See "redis-sync logs ${task}"\n`);
    return 1;
  }
  const offsets = after.nodes.map((n) => `${n.node} at offset ${n.appliedOffset}`).join(', ');
  process.stdout.write(`task ${task}: ${after.state} in ${((Date.now() - started) / 1000).toFixed(1)} s${offsets ? `; checkpoint ${offsets}` : ''}\n`);
  return 0;
}
