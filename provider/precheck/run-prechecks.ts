// Reads every node's facts at once and evaluates the prechecks.
import type { TaskSpec } from '../spec/types';
import type { PrecheckItem } from '../state/status';
import { resolveTask, liveSource } from '../spec/resolve';
import { readNodeFacts, type NodeFacts } from './node-facts';
import { evaluate, serverOf, compareVersions } from './checks';
import { findUnsupported, type UnsupportedFinding } from './unsupported-inventory';
import { dialectFor } from '../writer/dialect/dialect';
import { withClient, scanMatch } from './node-facts';
import { checkpointKey } from '../state/task-keys';
import { parseHolder, describeHolder } from '../state/lease';
import { formatHostPort } from '../spec/address';
import type { NodeAddress } from '../spec/types';
import { discoverCluster, endpointMasters, formatSlots, slotRangesOf } from '../cluster/topology';
import { measureCapacity } from './capacity-facts';
import { capacityItems } from './capacity-check';
import { withSentinelMaster } from '../sentinel/sentinel-master';
import { scanRdbFile, rdbFileItems, fileUnsupported, streamAfterFileItem } from './rdb-file-check';

export async function runPrechecks(given: TaskSpec, opts: { resuming: boolean }): Promise<PrecheckItem[]> {
  // A sentinel-managed source is prechecked as its current master.
  const spec = await withSentinelMaster(given);
  const task = resolveTask(spec);
  const [src, dst] = await Promise.all([
    expandCluster('source', liveSource(spec.source)?.mode ?? 'standalone', task.sourceNodes),
    expandCluster('destination', spec.destination.mode, task.destinationNodes),
  ]);
  const [source, destination, replica] = await Promise.all([
    Promise.all(src.nodes.map((n) => readNodeFacts(n, undefined, 'source'))),
    Promise.all(dst.nodes.map((n) => readNodeFacts(n, undefined, 'destination'))),
    task.sourceReplica ? readNodeFacts(task.sourceReplica, undefined, 'source') : Promise.resolve(undefined),
  ]);
  const ignored = new Set(spec.ignorePrechecks ?? []);
  const file = task.rdbFile !== null ? await scanRdbFile(task.rdbFile) : null;
  // A file's load does not read the server: the capacity it needs is that of the stream after it, not of a copy.
  const capacity = source.some((f) => f.error) || file ? [] : await capacityChecks(task.id, src.masters, spec.destination.mode === 'cluster' ? null : task.destinationNodes[0]);
  const fileItems = file ? [...rdbFileItems(file, destination), ...(src.masters.length && !opts.resuming ? [await streamAfterFileItem(file, src.masters[0])] : [])] : [];
  const owned = [...(await ownershipItems(task.id, spec.destination.mode === 'cluster' ? dst.nodes : task.destinationNodes)), ...capacity, ...fileItems]
    .map((i) => (ignored.has(i.id) && i.result !== 'passed' ? { ...i, result: 'ignored' as const, message: `${i.message} (ignored by ignorePrechecks)` } : i));
  // What the destination must hold comes from the file; the stream after it is checked command by command.
  const unsupported = file ? fileUnsupported(file, destination) : await inventory(src.nodes, source, destination);
  return [...src.items, ...dst.items, ...evaluate({ spec, source, destination, replica, resuming: opts.resuming, unsupported }), ...owned];
}

/** Capacity planning (capacity-check.ts); a measurement that fails (CONFIG or DUMP refused) only skips it. */
async function capacityChecks(taskId: string, masters: NodeAddress[], destination: NodeAddress | null): Promise<PrecheckItem[]> {
  try {
    return capacityItems(await measureCapacity(masters, destination, taskId));
  } catch (err) {
    return [{ id: 'source-capacity', result: 'warning', message: `could not estimate the full sync's duration and the source's write rate: ${(err as Error).message}` }];
  }
}

/**
 * Another live task writing this destination (its lease is there): two tasks would interleave their writes and
 * empty each other's databases on a full resync. Named with where it runs and how to release it.
 */
async function ownershipItems(taskId: string, nodes: NodeAddress[]): Promise<PrecheckItem[]> {
  const items: PrecheckItem[] = [];
  for (const node of nodes) {
    try {
      await withClient(node, async (c) => {
        for (const key of await scanMatch(c, 'redis-sync:lease:*', 100)) {
          const holder = parseHolder(await c.get(key));
          if (!holder || holder.task === taskId) continue;
          items.push({
            id: 'destination-owned', result: 'failed', node: formatHostPort(node),
            message: `${formatHostPort(node)} is the destination of another running task, ${holder.task}, on ${describeHolder(holder)}: stop or destroy that task first (redis-sync stop ${holder.task} on that host, or pulumi destroy of its stack), or list destination-owned in ignorePrechecks if both tasks write disjoint keys`,
          });
        }
      });
    } catch { /* unreachable: the connectivity precheck reports it */ }
  }
  return items;
}

/** What the source masters hold that the oldest destination node cannot take; undefined when a side is unreachable. */
async function inventory(nodes: NodeAddress[], source: NodeFacts[], destination: NodeFacts[]): Promise<UnsupportedFinding[] | undefined> {
  const dst = destination.filter((f) => !f.error).map(serverOf).sort((a, b) => compareVersions(a.redisVersion, b.redisVersion))[0];
  if (!dst || source.some((f) => f.error)) return undefined;
  const dialect = dialectFor(dst);
  const found = await Promise.all(nodes.map((n, i) => source[i].role === 'master'
    ? withClient(n, (c) => findUnsupported(c, source[i].node, serverOf(source[i]), dialect), 30_000).catch((): UnsupportedFinding[] => [])
    : []));
  return found.flat();
}

/**
 * For a cluster, the prechecks run on every node it reports (all must accept the task's password; every master
 * must answer PSYNC), and its slots must all be served with none migrating or importing.
 */
async function expandCluster(side: 'source' | 'destination', mode: string, seeds: NodeAddress[]): Promise<{ nodes: NodeAddress[]; masters: NodeAddress[]; items: PrecheckItem[] }> {
  if (mode !== 'cluster') return { nodes: seeds, masters: seeds.slice(0, 1), items: [] };
  let topology;
  try {
    topology = await discoverCluster(seeds);
  } catch {
    return { nodes: seeds, masters: [], items: [] }; // the connectivity and mode checks say why
  }
  const items: PrecheckItem[] = [];
  const id = `${side}-cluster-slots`;
  if (topology.unassigned.length) {
    items.push({ id, result: 'failed', message: `${side} cluster: slots ${formatSlots(slotRangesOf(topology.unassigned))} are not served by any master: assign them (redis-cli --cluster fix)` });
  } else {
    items.push({ id, result: 'passed', message: `${side} cluster: all 16384 slots served by ${topology.masters.length} masters` });
  }
  for (const m of [...topology.migrating, ...topology.importing]) {
    items.push({ id: `${side}-cluster-resharding`, result: 'failed', node: m.node, message: `${side} cluster: slot ${m.slot} is being migrated or imported on ${m.node}: finish the resharding first (redis-cli --cluster fix)` });
  }
  for (const f of topology.failedNodes) {
    items.push({ id: `${side}-cluster-node-failed`, result: 'warning', node: f, message: `${side} cluster: node ${f} is marked failed: remove it (CLUSTER FORGET) or bring it back` });
  }
  const seen = new Set<string>();
  const nodes = [...topology.masters.map((m) => m.address), ...seeds].filter((n) => {
    const key = `${n.host}:${n.port}`;
    return !seen.has(key) && seen.add(key);
  });
  return { nodes, masters: topology.masters.map((m) => m.address), items };
}

/** A readable table of the items that did not pass (all items when verbose). */
export function formatPrecheckTable(items: PrecheckItem[], verbose = false): string {
  const rows = items.filter((i) => verbose || i.result !== 'passed');
  const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
  const lines = rows.map((r) => `  ${r.result.toUpperCase().padEnd(8)} ${r.id.padEnd(idWidth)}  ${r.message}`);
  return `  ${'RESULT'.padEnd(8)} ${'ID'.padEnd(idWidth)}  WHAT TO DO\n${lines.join('\n')}\n`;
}

/** The destination holds this task's checkpoint key (on any master of a cluster): an earlier run wrote there. */
export async function destinationHasCheckpoint(given: TaskSpec): Promise<boolean> {
  const spec = await withSentinelMaster(given, ['destination']);
  const task = resolveTask(spec);
  const cluster = spec.destination.mode === 'cluster';
  const db = cluster ? 0 : task.mapDb(task.databases?.[0] ?? 0);
  let nodes: NodeAddress[];
  try {
    nodes = await endpointMasters(spec.destination.mode, task.destinationNodes);
  } catch {
    return false; // unreachable: the connectivity precheck reports it
  }
  for (const node of nodes) {
    try {
      const found = await withClient(node, async (c) => {
        await c.select(db);
        return (await scanMatch(c, `${checkpointKey(task.id, '')}*`, 1)).length > 0;
      });
      if (found) return true;
    } catch { /* unreachable: the connectivity precheck reports it */ }
  }
  return false;
}
