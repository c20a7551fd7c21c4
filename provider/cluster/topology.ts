// A cluster's masters and their slots, read with CLUSTER NODES (every cluster version has it, and it alone shows node
// ids and slots being migrated or imported).
import type { NodeAddress } from '../spec/types';
import { formatHostPort } from '../spec/address';
import { withClient } from '../precheck/node-facts';

export const CLUSTER_SLOTS = 16384;

export interface ClusterNode {
  id: string;
  host: string;
  port: number;
  flags: string[];
  masterId: string | null;
  linkState: string;
  /** Inclusive [from, to] ranges. */
  slots: Array<[number, number]>;
  migrating: number[];
  importing: number[];
}

export interface ClusterMaster {
  id: string;
  address: NodeAddress;
  name: string;
  slots: Array<[number, number]>;
}

export interface ClusterTopology {
  masters: ClusterMaster[];
  /** Every node that is not failed, replicas included. */
  allNodes: NodeAddress[];
  /** Slots no master serves. */
  unassigned: number[];
  migrating: Array<{ slot: number; node: string }>;
  importing: Array<{ slot: number; node: string }>;
  failedNodes: string[];
}

/** Parses CLUSTER NODES; an empty address ("myself" on some versions) is reached at the host we asked. */
export function parseClusterNodes(text: string, seedHost: string): ClusterNode[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [id, addr, flags, master, , , , linkState, ...slotSpecs] = line.split(' ');
    const hostPort = addr.split('@')[0];
    const colon = hostPort.lastIndexOf(':');
    const node: ClusterNode = {
      id, host: hostPort.slice(0, colon) || seedHost, port: Number(hostPort.slice(colon + 1)), flags: flags.split(','),
      masterId: master === '-' ? null : master, linkState, slots: [], migrating: [], importing: [],
    };
    for (const s of slotSpecs) {
      const mig = /^\[(\d+)->-/.exec(s);
      const imp = /^\[(\d+)-<-/.exec(s);
      if (mig) node.migrating.push(Number(mig[1]));
      else if (imp) node.importing.push(Number(imp[1]));
      else {
        const [from, to] = s.split('-').map(Number);
        node.slots.push([from, to ?? from]);
      }
    }
    return node;
  });
}

export function topologyOf(nodes: ClusterNode[], credentials: Pick<NodeAddress, 'username' | 'password' | 'tls' | 'tlsSettings' | 'psyncCommand'>): ClusterTopology {
  const served = new Uint8Array(CLUSTER_SLOTS);
  const masters = nodes.filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0);
  for (const m of masters) for (const [a, b] of m.slots) served.fill(1, a, b + 1);
  const unassigned: number[] = [];
  served.forEach((v, slot) => { if (!v) unassigned.push(slot); });
  return {
    masters: masters
      .map((m) => {
        const address: NodeAddress = { host: m.host, port: m.port, ...credentials };
        return { id: m.id, address, name: formatHostPort(address), slots: m.slots };
      })
      .sort((a, b) => a.slots[0][0] - b.slots[0][0]),
    allNodes: nodes.filter((n) => !n.flags.includes('fail') && !n.flags.includes('noaddr')).map((n) => ({ host: n.host, port: n.port, ...credentials })),
    unassigned,
    migrating: nodes.flatMap((n) => n.migrating.map((slot) => ({ slot, node: `${n.host}:${n.port}` }))),
    importing: nodes.flatMap((n) => n.importing.map((slot) => ({ slot, node: `${n.host}:${n.port}` }))),
    failedNodes: nodes.filter((n) => n.flags.includes('fail') || n.flags.includes('fail?')).map((n) => `${n.host}:${n.port}`),
  };
}

/** Asks the seeds in turn; the first that answers gives the topology. */
export async function discoverCluster(seeds: NodeAddress[]): Promise<ClusterTopology> {
  let lastError: Error | null = null;
  for (const seed of seeds) {
    try {
      const text = await withClient(seed, async (c) => String(await c.call('CLUSTER', 'NODES')));
      return topologyOf(parseClusterNodes(text, seed.host), { username: seed.username, password: seed.password, tls: seed.tls, tlsSettings: seed.tlsSettings, psyncCommand: seed.psyncCommand });
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw new Error(`no seed node of the cluster answered CLUSTER NODES (${seeds.map(formatHostPort).join(', ')}): ${lastError?.message ?? 'no seeds'}`);
}

/** Ranges as "0-5460,5461-10922" for messages. */
export function formatSlots(slots: Array<[number, number]>): string {
  return slots.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

export function slotRangesOf(slots: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const s of slots) {
    const last = out[out.length - 1];
    if (last && last[1] === s - 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

/** For a cluster endpoint, every node it reports (ACL users live on each node); otherwise the nodes as given. */
/** Every master of a cluster (from its seeds), or the standalone node as given; throws when discovery fails. */
export async function endpointMasters(mode: string, seeds: NodeAddress[]): Promise<NodeAddress[]> {
  return mode === 'cluster' ? (await discoverCluster(seeds)).masters.map((m) => m.address) : seeds;
}

export async function endpointNodesExpanded(mode: string, seeds: NodeAddress[]): Promise<NodeAddress[]> {
  if (mode !== 'cluster') return seeds;
  try {
    return (await discoverCluster(seeds)).allNodes;
  } catch {
    return seeds;
  }
}
