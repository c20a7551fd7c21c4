// What capacity planning needs to know about each source master, measured rather than guessed: how many keys and how
// fast a sample of them copies (DUMP from the source, RESTORE into the destination under a probe key, then DEL), how
// fast the source writes (master_repl_offset over a short window), and what it can buffer for a replica.
import type Redis from 'ioredis';
import type { NodeAddress } from '../spec/types';
import { formatHostPort } from '../spec/address';
import { withClient } from './node-facts';
import { INTERNAL_KEY_PREFIX } from '../state/task-keys';

export interface BufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export interface CapacityFacts {
  node: string;
  keys: number;
  /** Keys copied by the probe, their DUMP size and how long DUMP plus RESTORE took. */
  probe: { keys: number; bytes: number; ms: number } | null;
  /** Replication stream bytes per second over the sample window. */
  writeBytesPerSecond: number;
  /**
   * A master without replicas keeps no backlog and its offset stands still: the rate is then its client input, an
   * upper bound (reads count too).
   */
  rateFrom: 'replication offset' | 'client input';
  replBacklogSize: number | null;
  /** client-output-buffer-limit of the replica class; null when CONFIG is refused. */
  replicaBuffer: BufferLimit | null;
}

const PROBE_KEYS = 200;

/** Write volume so far: the replication offset, and all client input (which includes the reads). */
async function counters(c: Redis): Promise<{ offset: number; input: number }> {
  const [repl, stats] = await Promise.all([c.info('replication'), c.info('stats')]);
  return { offset: Number(/master_repl_offset:(\d+)/.exec(repl)?.[1] ?? 0), input: Number(/total_net_input_bytes:(\d+)/.exec(stats)?.[1] ?? 0) };
}

async function config(c: Redis, name: string): Promise<string | null> {
  try {
    const r = (await c.config('GET', name)) as string[];
    return r.length >= 2 ? r[1] : null;
  } catch {
    return null; // CONFIG renamed or forbidden (managed services)
  }
}

/** The "slave"/"replica" class of client-output-buffer-limit ("normal 0 0 0 slave 268435456 67108864 60 ..."). */
export function parseReplicaBuffer(text: string | null): BufferLimit | null {
  const m = text ? /(?:^|\s)(?:slave|replica) (\d+) (\d+) (\d+)/.exec(text) : null;
  return m ? { hard: Number(m[1]), soft: Number(m[2]), softSeconds: Number(m[3]) } : null;
}

/** Keys of every db (a replica sync copies them all). */
async function keyCount(c: Redis): Promise<number> {
  let n = 0;
  for (const m of (await c.info('keyspace')).matchAll(/^db\d+:keys=(\d+)/gm)) n += Number(m[1]);
  return n;
}

/** DUMP of up to PROBE_KEYS random keys of db 0, RESTOREd on the destination under probe keys, then deleted. */
async function probe(src: Redis, destination: NodeAddress | null, taskId: string): Promise<CapacityFacts['probe']> {
  const picks = src.pipeline();
  for (let i = 0; i < PROBE_KEYS; i++) picks.randomkeyBuffer();
  const keys = [...new Set(((await picks.exec()) ?? []).map(([, k]) => k as Buffer | null).filter((k): k is Buffer => k !== null).map((k) => k.toString('latin1')))];
  if (keys.length === 0) return null;
  const elapsedMs = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;
  // Only the transfers are timed (not connecting, not the clean-up): what the full sync repeats for every key.
  let started = process.hrtime.bigint();
  const dumps = src.pipeline();
  for (const k of keys) dumps.dumpBuffer(Buffer.from(k, 'latin1'));
  const payloads = ((await dumps.exec()) ?? []).map(([, p]) => p as Buffer | null).filter((p): p is Buffer => p !== null);
  let ms = elapsedMs(started);
  const bytes = payloads.reduce((s, p) => s + p.length, 0);
  if (destination) {
    await withClient(destination, async (d) => {
      const probeKey = (i: number): string => `${INTERNAL_KEY_PREFIX}capacity-probe:${taskId}:${i}`;
      started = process.hrtime.bigint();
      const w = d.pipeline();
      payloads.forEach((p, i) => w.restore(probeKey(i), 0, p, 'REPLACE'));
      await w.exec();
      ms += elapsedMs(started);
      const del = d.pipeline();
      payloads.forEach((_, i) => del.del(probeKey(i)));
      await del.exec();
    });
  }
  return { keys: payloads.length, bytes, ms: Math.max(0.01, ms) };
}

/**
 * Measures every source master at once over sampleMs. destination: a standalone destination to probe the write side
 * on (null for a cluster: the probe then measures the source side only).
 */
export async function measureCapacity(sources: NodeAddress[], destination: NodeAddress | null, taskId: string, sampleMs = 1000): Promise<CapacityFacts[]> {
  return Promise.all(sources.map((addr) => withClient(addr, async (c) => {
    const first = await counters(c);
    const t0 = Date.now();
    const [keys, backlog, cob, probed] = await Promise.all([
      keyCount(c), config(c, 'repl-backlog-size'), config(c, 'client-output-buffer-limit'),
      probe(c, destination, taskId).catch(() => null),
    ]);
    await new Promise((r) => setTimeout(r, Math.max(0, sampleMs - (Date.now() - t0))));
    const last = await counters(c);
    const seconds = (Date.now() - t0) / 1000;
    const byOffset = last.offset > first.offset;
    const rate = (byOffset ? last.offset - first.offset : last.input - first.input) / seconds;
    return {
      node: formatHostPort(addr), keys, probe: probed, writeBytesPerSecond: Math.max(0, rate), rateFrom: byOffset ? 'replication offset' as const : 'client input' as const,
      replBacklogSize: backlog === null ? null : Number(backlog), replicaBuffer: parseReplicaBuffer(cob),
    };
  })));
}
