// Verify for a task: its databases, and the keys redis-sync adds (the heartbeat on the source; checkpoint, lease and
// status on the destination) left out of the comparison.
import type { TaskSpec } from '../spec/types';
import { resolveTask, requireLiveSource, liveSource } from '../spec/resolve';
import { verifyFile } from './verify-file';
import { verify, type VerifyOptions } from './verify';
import type { VerifyReport } from './report';
import { isHeartbeatKey } from '../cluster/heartbeat-key';
import { isInternalKey } from '../state/task-keys';
import { KeyFilter } from '../filter/key-filter';
import { withSentinelMaster } from '../sentinel/sentinel-master';

/** Keys left out: the task's heartbeat, and redis-sync's own keys of any task (checkpoints, leases, statuses). */
export function taskKeyFilter(spec: TaskSpec): (key: Buffer) => boolean {
  const task = resolveTask(spec);
  const heartbeat = Buffer.from(task.heartbeat.key);
  return (key) => isHeartbeatKey(heartbeat, key) || isInternalKey(key);
}

/**
 * The task's databases and keys, through its databaseMapping and keyRenames, without the keys the task adds. While
 * the task runs, differences are rechecked once its destination applied the source's offset (online: no false alarm
 * from writes in flight).
 */
export async function verifyTask(given: TaskSpec, opts: Omit<VerifyOptions, 'ignoreKeys' | 'databases' | 'mapDb' | 'taskId' | 'keys'> = {}): Promise<VerifyReport> {
  // A source that is an RDB file only: the destination is compared with the file.
  if (liveSource(given.source) === null) return verifyFile(given, { ttlToleranceMs: opts.ttlToleranceMs, maxMismatches: opts.maxMismatches, onProgress: opts.onProgress });
  const spec = await withSentinelMaster(given);
  const task = resolveTask(spec);
  const mapDb = spec.databaseMapping ? task.mapDb : undefined;
  const keys = new KeyFilter(spec.keyFilter, spec.keyRenames);
  return verify(requireLiveSource(spec.source, 'verify against the source'), spec.destination, { ...opts, databases: spec.databases, mapDb, ignoreKeys: taskKeyFilter(spec), keys, taskId: task.id });
}
