// The control-plane client for the keys a task keeps on its destination (lease, status): one reconnecting ioredis
// client, db 0, or a cluster client for a cluster destination (the lease and status keys share a hash tag).
import Redis, { type Cluster } from 'ioredis';
import type { Mode, NodeAddress } from '../spec/types';
import { tlsOptions } from '../spec/tls-options';

export type MetaClient = Redis | Cluster;

export function openMetaClient(mode: Mode, nodes: NodeAddress[], timeoutMs = 5000): MetaClient {
  const first = nodes[0];
  const auth = { username: first.username, password: first.password, tls: tlsOptions(first) };
  const c: MetaClient = mode === 'cluster'
    ? new Redis.Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), { redisOptions: { ...auth, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 1 } })
    : new Redis({ host: first.host, port: first.port, ...auth, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 1,
      retryStrategy: (n: number) => Math.min(n * 200, 2000) });
  // Failures surface through the calls (a lease renewal that fails is retried at the next tick).
  c.on('error', () => undefined);
  return c;
}

/** A client for one call: connects, runs fn, disconnects. */
export async function withMetaClient<T>(mode: Mode, nodes: NodeAddress[], fn: (c: MetaClient) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = openMetaClient(mode, nodes, timeoutMs);
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}
