// FLUSHALL or FLUSHDB sent to one master of a cluster source empties only that master's slots. Replayed as is it would
// empty the whole destination, other masters' keys included, so the destination deletes the keys of those slots only.
import calculateSlot from 'cluster-key-slot';
import type { NodeAddress } from '../spec/types';
import { withClient, clusterClient } from '../precheck/node-facts';
import { INTERNAL_KEY_PREFIX } from '../state/task-keys';

type Ranges = Array<[number, number]>;

const inRanges = (slot: number, ranges: Ranges): boolean => ranges.some(([a, b]) => slot >= a && slot <= b);

/** A cluster destination: per slot of the ranges, CLUSTER GETKEYSINSLOT on its owner and DEL, until the slot is empty. */
async function flushSlotsInCluster(seeds: NodeAddress[], ranges: Ranges): Promise<number> {
  const c = clusterClient(seeds);
  let deleted = 0;
  try {
    await new Promise<void>((resolve, reject) => { c.once('ready', () => resolve()); c.once('error', reject); });
    const slots: number[] = [];
    for (const [a, b] of ranges) for (let s = a; s <= b; s++) slots.push(s);
    for (const master of c.nodes('master')) {
      const counts = (await master.pipeline(slots.map((s) => ['cluster', 'countkeysinslot', String(s)])).exec()) ?? [];
      for (const [i, [err, n]] of counts.entries()) {
        if (err || !n) continue;
        for (let round = 0; round < 100_000; round++) {
          // The task's own keys (lease, status, node checkpoints) stay: a flush of the source's data is not ours.
          const keys = ((await master.call('CLUSTER', 'GETKEYSINSLOT', String(slots[i]), '1000')) as string[]).filter((k) => !k.startsWith(INTERNAL_KEY_PREFIX));
          if (!keys.length) break;
          deleted += Number(await master.call('DEL', ...keys));
        }
      }
    }
  } finally {
    c.disconnect();
  }
  return deleted;
}

/** A standalone destination: SCAN the database and delete the keys whose slot is in the ranges. */
async function flushSlotsInStandalone(node: NodeAddress, db: number, ranges: Ranges): Promise<number> {
  return withClient(node, async (c) => {
    await c.select(db);
    let cursor = '0';
    let deleted = 0;
    for (let i = 0; i < 10_000_000; i++) {
      const [next, keys] = await c.scanBuffer(cursor, 'COUNT', 1000);
      const doomed = keys.filter((k) => inRanges(calculateSlot(k), ranges));
      if (doomed.length) deleted += await c.del(...doomed);
      cursor = String(next);
      if (cursor === '0') break;
    }
    return deleted;
  }, 600_000);
}

export function flushSlots(destination: { mode: string; nodes: NodeAddress[] }, db: number, ranges: Ranges): Promise<number> {
  return destination.mode === 'cluster' ? flushSlotsInCluster(destination.nodes, ranges) : flushSlotsInStandalone(destination.nodes[0], db, ranges);
}
