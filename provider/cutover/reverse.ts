// The rollback path of a cutover (cutover.reverse): a task from the new primary (the destination) back to the old one
// (the source), started only once the forward task has stopped, never both directions at once. The two sides were
// verified equal while the source was paused, so the reverse task needs no full sync: each destination master's
// replid and offset at that moment are written as the reverse task's checkpoint on the old source, and its daemon
// resumes from there (PSYNC replid offset+1, +CONTINUE) like any task resuming from its checkpoint.
import type { TaskSpec, EndpointSpec, NodeAddress } from '../spec/types';
import { resolveTask } from '../spec/resolve';
import { discoverCluster } from '../cluster/topology';
import { heartbeatKeyForSlots } from '../cluster/heartbeat-key';
import { setTimeout as sleep } from 'node:timers/promises';
import { withClient, controlClient } from '../precheck/node-facts';
import { withMetaClient } from '../state/meta-client';
import { checkpointKey, anchorKey } from '../state/task-keys';
import { encodeCheckpoint } from '../task/tx-batch';
import type { ReverseStart } from './cutover';
import { withSentinelMaster } from '../sentinel/sentinel-master';
import { formatHostPort } from '../spec/address';

/** The reverse task's id: derived, so every machine finds the same task from the forward one's. */
export function reverseTaskId(forwardId: string): string {
  return `${forwardId}-reverse`;
}

/**
 * The reverse task: source and destination swapped, the destination's dbs copied back to the source's through the
 * inverted mapping, the same filter, heartbeat period, tuning, verify and runner; the endpoints' own credentials
 * (access.createUsers made users for the forward direction only). `source` is the forward source as the reverse
 * writes it: for a Sentinel source, its master at cutover time.
 */
export function reverseSpec(forward: TaskSpec, forwardId: string, source: EndpointSpec): TaskSpec {
  const task = resolveTask({ ...forward, id: forwardId });
  const inverted = Object.fromEntries(Object.entries(forward.databaseMapping ?? {}).map(([from, to]) => [String(to), Number(from)]));
  const spec: TaskSpec = {
    name: `${forward.name}-reverse`,
    id: reverseTaskId(forwardId),
    source: forward.destination,
    // The old source as a destination: what only a source takes is left out.
    destination: withoutSourceOnly(source),
    heartbeat: { intervalMs: task.heartbeat.intervalMs, enabled: task.heartbeat.enabled },
  };
  if (task.databases) spec.databases = task.databases.map((db) => task.mapDb(db));
  if (forward.databaseMapping) spec.databaseMapping = inverted;
  for (const k of ['connectionRetryMinutes', 'tuning', 'keyFilter', 'forwardPublish', 'ignorePrechecks', 'metrics', 'verify', 'runner', 'stateDir'] as const) {
    if (forward[k] !== undefined) (spec as unknown as Record<string, unknown>)[k] = forward[k];
  }
  return spec;
}

function withoutSourceOnly(ep: EndpointSpec): EndpointSpec {
  const { psyncCommand: _p, readFrom: _r, masterName: _m, ...rest } = ep;
  return rest;
}

/** The new primary's masters: the reverse task's source streams (id as the daemon names them), with a name. */
async function newPrimaryMasters(reverse: TaskSpec): Promise<Array<{ id: string; name: string; address: NodeAddress; slots: Array<[number, number]> | null }>> {
  const task = resolveTask(reverse);
  return reverse.source.mode === 'cluster'
    ? (await discoverCluster(task.sourceNodes)).masters.map((m) => ({ id: m.id, name: m.name, address: m.address, slots: m.slots }))
    : [{ id: 'standalone', name: formatHostPort(task.sourceNodes[0]), address: task.sourceNodes[0], slots: null }];
}

/**
 * A master keeps a replication backlog only once a replica has attached (Redis then creates it, with a new replid):
 * before that, no replica can continue from its replid and offset. A PSYNC dropped as soon as it is answered makes the
 * master create it; a diskless sync left with no replica to wait for never forks (a disk-based one saves an RDB once).
 * Run before the pause: the replid changes then, and the positions are taken after it.
 */
export async function ensureBacklogs(given: TaskSpec): Promise<void> {
  const reverse = await withSentinelMaster(given, ['source']);
  for (const m of await newPrimaryMasters(reverse)) {
    await withClient(m.address, async (c) => {
      const active = async (): Promise<boolean> => /repl_backlog_active:1/.test(await c.info('replication'));
      if (await active()) return;
      const replica = controlClient(m.address);
      try {
        await replica.connect();
        await replica.call('PSYNC', '?', '-1');
      } catch { /* the answer is all it takes; what follows is not read */ } finally {
        replica.disconnect();
      }
      for (let i = 0; i < 100; i++) {
        if (await active()) return;
        await sleep(20);
      }
      throw new Error(`${m.name} has no replication backlog and did not create one on a PSYNC (needs the PSYNC permission for the destination's user): the reverse task could not continue from it without a full sync`);
    });
  }
}

/**
 * Each master of the new primary: where its replication history stands now, as the reverse task's stream id and
 * position. An internal key written in db 0 first makes the stream select db 0 at that point, so the checkpoint can
 * say which db the stream continues in; the key is never carried anywhere (internal prefix) and is deleted at once
 * (it expires by itself should this process die in between).
 */
export async function anchorPositions(given: TaskSpec): Promise<Map<string, { node: string; replid: string; offset: number }>> {
  // A Sentinel-managed new primary: the positions are its current master's.
  const reverse = await withSentinelMaster(given, ['source']);
  const base = anchorKey(resolveTask(reverse).id);
  const masters = (await newPrimaryMasters(reverse)).map((m) => ({ ...m, key: m.slots ? heartbeatKeyForSlots(base, m.slots) : base }));
  const out = new Map<string, { node: string; replid: string; offset: number }>();
  for (const m of masters) {
    out.set(m.id, await withClient(m.address, async (c) => {
      await c.select(0);
      await c.set(m.key, '1', 'PX', 60_000);
      const info = await c.info('replication');
      await c.del(m.key);
      const replid = /master_replid:([0-9a-f]{40})/.exec(info)?.[1];
      const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
      if (!replid || offset === undefined) throw new Error(`${m.name}: INFO replication has no master_replid/master_repl_offset`);
      return { node: m.name, replid, offset: Number(offset) };
    }));
  }
  return out;
}

/** Writes the positions as the reverse task's checkpoints on its destination (the old source). */
export async function seedCheckpoints(reverse: TaskSpec, positions: Map<string, { replid: string; offset: number }>): Promise<void> {
  const task = resolveTask(reverse);
  const entries = [...positions].map(([stream, p]) => [checkpointKey(task.id, stream), encodeCheckpoint({ replid: p.replid, offset: p.offset, db: 0 })] as const);
  if (reverse.destination.mode === 'cluster') {
    await withMetaClient('cluster', task.destinationNodes, async (c) => { for (const [k, v] of entries) await c.set(k, v); });
    return;
  }
  await withClient(task.destinationNodes[0], async (c) => {
    await c.select(task.mapDb(task.databases?.[0] ?? 0));
    for (const [k, v] of entries) await c.set(k, v);
  });
}

export function reverseStart(reverse: TaskSpec, positions: Map<string, { node: string; replid: string; offset: number }>): ReverseStart {
  return { taskId: resolveTask(reverse).id, destination: { mode: reverse.destination.mode, nodes: reverse.destination.nodes }, from: Object.fromEntries([...positions.values()].map((p) => [p.node, { replid: p.replid, offset: p.offset }])) };
}
