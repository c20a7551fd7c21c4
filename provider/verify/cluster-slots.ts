// CLUSTER SLOTS as slot ranges and the "host:port" of each range's master: the routing table both the cluster
// writer and the verifier build. A master that reports an empty host is reached at the seed's host.
import type { RespClient } from './resp-client';
import { asArray, asBuffer, asNumber } from './redis-calls';

export interface SlotRange {
  from: number;
  to: number;
  master: string;
}

export async function clusterSlots(seed: RespClient, seedHost: string): Promise<SlotRange[]> {
  return asArray(await seed.call('CLUSTER', 'SLOTS')).map((range) => {
    const [from, to, master] = asArray(range);
    const [host, port] = asArray(master);
    return { from: asNumber(from), to: asNumber(to), master: `${asBuffer(host).toString('latin1') || seedHost}:${asNumber(port)}` };
  });
}
