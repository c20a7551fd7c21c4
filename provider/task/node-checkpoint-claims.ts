// The node checkpoints of a cluster destination (node-batches.ts) at the start of each attempt: every key the task
// registered is read and claimed (this process's token written into it, compare-and-set), so that a former owner's
// next script on it applies nothing; then this attempt's own keys are registered, only while this process holds the
// lease (one script on the lease's slot), so that a former owner cannot start keys that nobody would claim.
import type { MetaClient } from '../state/meta-client';
import { leaseKey, nodeCheckpointRegistryKey, nodeCheckpointPrefix } from '../state/task-keys';
import { CLAIM_SCRIPT } from './fence';
import { claimedValue, decodeNodeCheckpoint, type NodeCheckpoint } from './node-checkpoints';

const REGISTER = `local cur = redis.call('GET', KEYS[1])
if not cur or string.find(cur, '"writer":"' .. ARGV[1] .. '"', 1, true) == nil then return redis.error_reply('FENCED this daemon no longer holds the lease of the task') end
redis.call('SADD', KEYS[2], unpack(ARGV, 2))
return 1`;

/** A registered key of a stream and its claim (null: none, e.g. a key registered before its first batch). */
export interface ClaimRecord { key: string; claim: NodeCheckpoint | null }

/** Per stream id: its registered keys. */
export type StreamClaims = Map<string, ClaimRecord[]>;

/** Reads and claims every registered key; a key the former owner changed meanwhile makes the attempt retry. */
export async function claimNodeCheckpoints(meta: MetaClient, taskId: string, writer: string, streams: string[]): Promise<StreamClaims> {
  const keys = (await meta.smembers(nodeCheckpointRegistryKey(taskId))).sort();
  // GET through the cluster client, which follows a slot being migrated (a SCAN of one master after another can miss
  // a key that moves meanwhile, and a claim missed would replay what its slots hold).
  const values = await Promise.all(keys.map((k) => meta.get(k)));
  const out: StreamClaims = new Map(streams.map((st) => [st, []]));
  await Promise.all(keys.map(async (key, i) => {
    const r = await meta.eval(CLAIM_SCRIPT, 1, key, values[i] ?? '', claimedValue(values[i], writer));
    if (r !== 'OK') throw Object.assign(new Error(`task ${taskId}: its checkpoint ${key} changed while this daemon took the task over (its previous owner was still writing): retrying`), { retryable: true });
  }));
  for (const [i, key] of keys.entries()) {
    const stream = streams.find((st) => key.startsWith(nodeCheckpointPrefix(taskId, st)));
    if (!stream) continue;
    out.get(stream)!.push({ key, claim: decodeNodeCheckpoint(values[i]) });
  }
  return out;
}

export async function registerNodeCheckpoints(meta: MetaClient, taskId: string, writer: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await meta.eval(REGISTER, 2, leaseKey(taskId), nodeCheckpointRegistryKey(taskId), writer, ...keys);
}

/** Keys whose claims a stream no longer needs (past its checkpoint, or of an older history): deleted, best effort. */
export async function dropNodeCheckpoints(meta: MetaClient, taskId: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await Promise.all(keys.map((k) => meta.del(k)));
  await meta.srem(nodeCheckpointRegistryKey(taskId), ...keys);
}
