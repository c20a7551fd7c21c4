// The datasets of the full-sync cases: 100-byte strings (DEBUG POPULATE), and a mixed one where a fifth of the keys
// are strings and the rest small lists, sets, hashes and sorted sets; and 100-byte strings written into a cluster.
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

export async function fillStrings(c: Redis, n: number): Promise<void> {
  await c.call('DEBUG', 'POPULATE', String(n), 'key', '100');
}

export async function fillMixed(c: Redis, n: number): Promise<void> {
  const per = Math.floor(n / 5);
  await c.call('DEBUG', 'POPULATE', String(per), 'str', '100');
  for (let base = 0; base < per; base += 2000) {
    const p = c.pipeline();
    for (let i = base; i < Math.min(per, base + 2000); i++) {
      p.rpush(`list:${i}`, 'alpha', 'beta', 'gamma', String(i), 'delta');
      p.sadd(`set:${i}`, 'a', 'b', 'c', String(i));
      p.hset(`hash:${i}`, 'name', `n${i}`, 'count', String(i), 'flag', '1');
      p.zadd(`zset:${i}`, 1, 'a', 2, 'b', i, 'c');
    }
    await p.exec();
  }
}

/** Fills a cluster through a cluster client: DEBUG POPULATE would put keys into slots their node does not own. */
export async function fillCluster(c: Cluster, n: number): Promise<void> {
  const value = 'v'.repeat(100);
  for (let base = 0; base < n; base += 5000) {
    // Individual calls: ioredis still pipelines them per node, which a cluster pipeline() cannot across slots.
    const batch: Array<Promise<unknown>> = [];
    for (let i = base; i < Math.min(n, base + 5000); i++) batch.push(c.set(`key:${i}`, value));
    await Promise.all(batch);
  }
}
