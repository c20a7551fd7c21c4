// Verify for a task: its databases, and the keys the task itself adds (the heartbeat on the source, the checkpoint on
// the destination) left out of the comparison.
import type { TaskSpec } from '../spec/types';
import { resolveTask } from '../spec/resolve';
import { verify, type VerifyOptions } from './verify';
import type { VerifyReport } from './report';
import { isHeartbeatKey } from '../cluster/heartbeat-key';
import { checkpointKey } from '../task/tx-batch';

export function taskKeyFilter(spec: TaskSpec): (key: Buffer) => boolean {
  const task = resolveTask(spec);
  const heartbeat = Buffer.from(task.heartbeat.key);
  const checkpointPrefix = Buffer.from(checkpointKey(task.name, ''));
  return (key) => isHeartbeatKey(heartbeat, key) || (key.length > checkpointPrefix.length && key.subarray(0, checkpointPrefix.length).equals(checkpointPrefix));
}

/** The task's databases, through its databaseMapping when it has one, without the keys the task adds. */
export function verifyTask(spec: TaskSpec, opts: Omit<VerifyOptions, 'ignoreKeys' | 'databases' | 'mapDb'> = {}): Promise<VerifyReport> {
  const mapDb = spec.databaseMapping ? resolveTask(spec).mapDb : undefined;
  return verify(spec.source, spec.destination, { ...opts, databases: spec.databases, mapDb, ignoreKeys: taskKeyFilter(spec) });
}
