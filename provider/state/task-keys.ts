// The keys a task keeps next to its data, all named by the task id (unique per task, unlike the display name) and all
// under one prefix, so that nothing of the task is mistaken for user data: a task whose source is another task's
// destination (a cascade) never carries them downstream, verify skips them, destroy finds them.
import { hasPrefix } from '../resp/command-name';

export const INTERNAL_KEY_PREFIX = 'redis-sync:';
const PREFIX = Buffer.from(INTERNAL_KEY_PREFIX);

/** Per source stream: `replid offset db writer`, written inside each batch (tx-batch.ts). */
export function checkpointKey(taskId: string, stream: string): string {
  return `redis-sync:checkpoint:${taskId}:${stream}`;
}

/**
 * Who runs the task now (state/lease.ts): liveness and messages. Database 0 of the destination; the hash tag puts it
 * in the status key's slot on a cluster, so one script updates both.
 */
export function leaseKey(taskId: string): string {
  return `redis-sync:lease:{${taskId}}`;
}

/** The task's status as its daemon last published it, readable from any machine. Database 0 of the destination. */
export function statusKey(taskId: string): string {
  return `redis-sync:status:{${taskId}}`;
}

/** Set by `pulumi destroy`/`update` or `redis-sync stop` on any machine: the daemon that holds the lease stops. */
export function stopKey(taskId: string): string {
  return `redis-sync:stop:{${taskId}}`;
}

/** Touched by the fence of a writer that is no longer the owner, so that its own transaction aborts (fence.ts). */
export function guardKey(taskId: string, writer: string): string {
  return `redis-sync:guard:${taskId}:${writer}`;
}

/** Written on a new primary at a cutover with reverse to pin its stream's db at the position taken (cutover/reverse.ts). */
export function anchorKey(taskId: string): string {
  return `redis-sync:anchor:${taskId}`;
}

export function defaultHeartbeatKey(taskId: string): string {
  return `redis-sync:heartbeat:${taskId}`;
}

/** The SCAN patterns of every key of a task on a destination. */
export function destinationKeyPatterns(taskId: string): string[] {
  return [`redis-sync:checkpoint:${taskId}:*`, leaseKey(taskId), statusKey(taskId), stopKey(taskId), `redis-sync:guard:${taskId}:*`];
}

/** Whether a key is one of the keys redis-sync keeps for itself (of any task). */
export function isInternalKey(key: Buffer): boolean {
  return hasPrefix(key, PREFIX);
}

/** The lease and status live in db 0 whatever the mapping: one place to look for them, on any destination. */
export const TASK_META_DB = 0;

/**
 * A cluster destination's checkpoint of one stream on one node, written by one attempt (task/node-batches.ts):
 * hash-tagged into a slot of that node, so that the node's batch script sets it with its writes.
 */
export function nodeCheckpointKey(taskId: string, stream: string, attempt: string, tag: string): string {
  return `${nodeCheckpointPrefix(taskId, stream)}${attempt}:{${tag}}`;
}

/** What every node checkpoint key of one stream starts with. */
export function nodeCheckpointPrefix(taskId: string, stream: string): string {
  return `redis-sync:checkpoint:${taskId}:${stream}:`;
}

/** Every node checkpoint key of the task (a set), in the lease's slot so that one script checks the lease and adds. */
export function nodeCheckpointRegistryKey(taskId: string): string {
  return `redis-sync:checkpoint:${taskId}:registry:{${taskId}}`;
}
