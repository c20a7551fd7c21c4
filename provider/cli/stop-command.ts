// `redis-sync stop TASK [--timeout SECONDS] [--state-dir DIR]`: graceful stop (SIGTERM: the daemon flushes what is in
// flight and saves its checkpoint), SIGKILL only after the timeout. A stopped task resumes from its checkpoint.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { defaultStateDir, taskPaths } from '../state/files';
import { stopDaemon } from '../daemon/daemon-process';
import { UsageError, loadSpecFile } from './spec-file';
import { stopRemoteTask } from '../state/remote-task';
import { describeHolder } from '../state/lease';
import type { TaskSpec } from '../spec/types';
import { isEndState } from '../state/status';

/** --config: stops the task's daemon wherever it runs, through a stop request on its destination. */
async function stopThroughDestination(spec: TaskSpec, timeout: string | undefined): Promise<number> {
  const timeoutS = timeout === undefined ? 35 : Number(timeout);
  if (!(timeoutS > 0 && timeoutS <= 3600)) throw new UsageError(`--timeout is in seconds, from 1 to 3600, not "${timeout}"`);
  const id = spec.id ?? spec.name;
  const started = Date.now();
  const asked = await stopRemoteTask(spec, timeoutS * 1000);
  if (!asked) {
    process.stdout.write(`task ${id}: no daemon holds its lease on the destination; nothing to stop\n`);
    return 0;
  }
  process.stdout.write(`task ${id}: the daemon on ${describeHolder(asked)} stopped and gave its lease back in ${((Date.now() - started) / 1000).toFixed(1)} s; the next start resumes from its checkpoint\n`);
  return 0;
}
import { readTaskStatus, viewTask } from './task-dir';

export async function stopCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'state-dir': { type: 'string' }, timeout: { type: 'string' }, config: { type: 'string' } },
  });
  if (values.config !== undefined) return stopThroughDestination(loadSpecFile(values.config), values.timeout);
  const task = positionals[0];
  if (!task || positionals.length > 1) throw new UsageError('usage: redis-sync stop TASK [--timeout SECONDS] [--state-dir DIR], or redis-sync stop --config task.json (the task wherever it runs)');
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const timeoutS = values.timeout === undefined ? 20 : Number(values.timeout);
  if (!(timeoutS > 0 && timeoutS <= 3600)) throw new UsageError(`--timeout is in seconds, from 1 to 3600, not "${values.timeout}"`);
  if (!existsSync(taskPaths(stateDir, task).dir)) throw new UsageError(`no task "${task}" in ${stateDir}: see "redis-sync list --state-dir ${stateDir}"`);

  const before = viewTask(stateDir, task);
  // viewTask keeps only a pid whose process is this state dir's daemon (not a process that reused a dead one's pid).
  if (before.pid === null) {
    process.stdout.write(`task ${task}: no daemon running (state ${before.state}); nothing to stop\n`);
    return 0;
  }
  process.stdout.write(`task ${task}: stopping daemon pid ${before.pid} (flushing what is in flight, saving the checkpoint)...\n`);
  const started = Date.now();
  await stopDaemon(stateDir, task, timeoutS * 1000);
  const after = readTaskStatus(stateDir, task);
  const graceful = after !== null && after.pid === before.pid && isEndState(after.state);
  if (!graceful) {
    process.stderr.write(`task ${task}: the daemon did not stop within ${timeoutS} s and was killed (SIGKILL); the next start resumes from its last checkpoint. See "redis-sync logs ${task}"\n`);
    return 1;
  }
  const offsets = after.nodes.map((n) => `${n.node} at offset ${n.appliedOffset}`).join(', ');
  process.stdout.write(`task ${task}: ${after.state} in ${((Date.now() - started) / 1000).toFixed(1)} s${offsets ? `; checkpoint ${offsets}` : ''}\n`);
  return 0;
}
