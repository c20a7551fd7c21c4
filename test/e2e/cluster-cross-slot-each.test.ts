// Issue 13, a test per command: every multi-key command the issue lists, with its keys chosen in different slots of a
// 3-master destination (standalone source), and the same commands with hash-tagged keys from a 3-master source cluster
// (which itself refuses keys of two slots, so there they share one): what each command wrote is equal on both sides
// (type and value), and verify is consistent at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { startRedis, startCluster } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { sideSpec, caughtUpAll, assertSidesConsistent, type Side } from '../harness/topology';

type Client = Redis | Cluster;
interface Case { name: string; inputs: string[]; written: string[]; prepare(c: Client, k: (n: string) => string): Promise<unknown>; run(c: Client, k: (n: string) => string): Promise<unknown> }

const CASES: Case[] = [
  { name: 'SUNIONSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.sadd(k('a'), 'x', 'y'), c.sadd(k('b'), 'y', 'z')]), run: (c, k) => c.sunionstore(k('d'), k('a'), k('b')) },
  { name: 'SINTERSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.sadd(k('a'), 'x', 'y'), c.sadd(k('b'), 'y', 'z')]), run: (c, k) => c.sinterstore(k('d'), k('a'), k('b')) },
  { name: 'SDIFFSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.sadd(k('a'), 'x', 'y'), c.sadd(k('b'), 'y', 'z')]), run: (c, k) => c.sdiffstore(k('d'), k('a'), k('b')) },
  { name: 'ZUNIONSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.zadd(k('a'), 1, 'x', 2, 'y'), c.zadd(k('b'), 3, 'y')]), run: (c, k) => c.zunionstore(k('d'), 2, k('a'), k('b'), 'WEIGHTS', 1, 2) },
  { name: 'ZINTERSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.zadd(k('a'), 1, 'x', 2, 'y'), c.zadd(k('b'), 3, 'y')]), run: (c, k) => c.zinterstore(k('d'), 2, k('a'), k('b'), 'AGGREGATE', 'MAX') },
  { name: 'ZDIFFSTORE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.zadd(k('a'), 1, 'x', 2, 'y'), c.zadd(k('b'), 3, 'y')]), run: (c, k) => c.call('ZDIFFSTORE', k('d'), 2, k('a'), k('b')) },
  { name: 'ZRANGESTORE', inputs: ['a'], written: ['d'], prepare: (c, k) => c.zadd(k('a'), 1, 'x', 2, 'y', 3, 'z'), run: (c, k) => c.call('ZRANGESTORE', k('d'), k('a'), 0, 1) },
  { name: 'LMOVE', inputs: ['a', 'b'], written: ['a', 'b'], prepare: (c, k) => Promise.all([c.rpush(k('a'), '1', '2', '3'), c.rpush(k('b'), '9')]), run: (c, k) => c.lmove(k('a'), k('b'), 'LEFT', 'RIGHT') },
  { name: 'BLMOVE', inputs: ['a', 'b'], written: ['a', 'b'], prepare: (c, k) => Promise.all([c.rpush(k('a'), '1', '2', '3'), c.rpush(k('b'), '9')]), run: (c, k) => c.blmove(k('a'), k('b'), 'RIGHT', 'LEFT', 1) },
  { name: 'RPOPLPUSH', inputs: ['a', 'b'], written: ['a', 'b'], prepare: (c, k) => Promise.all([c.rpush(k('a'), '1', '2', '3'), c.rpush(k('b'), '9')]), run: (c, k) => c.rpoplpush(k('a'), k('b')) },
  { name: 'BITOP', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.set(k('a'), 'abc'), c.set(k('b'), 'xyz')]), run: (c, k) => c.bitop('XOR', k('d'), k('a'), k('b')) },
  { name: 'PFMERGE', inputs: ['a', 'b'], written: ['d'], prepare: (c, k) => Promise.all([c.pfadd(k('a'), 'u1', 'u2'), c.pfadd(k('b'), 'u3')]), run: (c, k) => c.pfmerge(k('d'), k('a'), k('b')) },
  { name: 'MSETNX', inputs: [], written: ['a', 'b'], prepare: async () => undefined, run: (c, k) => c.msetnx(k('a'), '1', k('b'), '2') },
  { name: 'COPY', inputs: ['a'], written: ['d'], prepare: (c, k) => c.set(k('a'), 'v', 'EX', 3600), run: (c, k) => c.copy(k('a'), k('d')) },
  { name: 'GEOSEARCHSTORE', inputs: ['a'], written: ['d'], prepare: (c, k) => c.geoadd(k('a'), 13.36, 38.11, 'p1', 15.08, 37.5, 'p2'), run: (c, k) => c.call('GEOSEARCHSTORE', k('d'), k('a'), 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC') },
  { name: 'GEORADIUS STORE', inputs: ['a'], written: ['d'], prepare: (c, k) => c.geoadd(k('a'), 13.36, 38.11, 'p1', 15.08, 37.5, 'p2'), run: (c, k) => c.call('GEORADIUS', k('a'), 15, 37, 200, 'km', 'STORE', k('d')) },
  { name: 'SORT STORE', inputs: ['a'], written: ['d'], prepare: (c, k) => c.rpush(k('a'), '3', '1', '2'), run: (c, k) => c.call('SORT', k('a'), 'STORE', k('d')) },
];

/** A key's type and value in a comparable form. */
async function valueOf(c: Client, key: string): Promise<string> {
  const type = await c.type(key);
  switch (type) {
    case 'none': return 'none';
    case 'string': return `string ${await c.get(key)}`;
    case 'list': return `list ${JSON.stringify(await c.lrange(key, 0, -1))}`;
    case 'set': return `set ${JSON.stringify((await c.smembers(key)).sort())}`;
    case 'zset': return `zset ${JSON.stringify(await c.zrange(key, 0, -1, 'WITHSCORES'))}`;
    default: return `${type} ${(await c.dumpBuffer(key))?.toString('hex')}`;
  }
}

async function eachCommand(label: string, src: Side, dst: Side, name: (cmd: string, key: string) => string, sourceClient: Client, t: { test(name: string, fn: () => Promise<void>): Promise<void> }): Promise<void> {
  const spec = sideSpec(label, src, dst, 'port' in src ? { databases: [0] } : {});
  const d = startDaemon(spec);
  try {
    await d.waitForState('Synchronizing', 60_000);
    const dc = dst.client() as Client;
    for (const cs of CASES) {
      await t.test(cs.name, async () => {
        const k = (n: string): string => name(cs.name, n);
        await cs.prepare(sourceClient, k);
        await cs.run(sourceClient, k);
        await caughtUpAll(d, src);
        assert.equal(d.status()?.state, 'Synchronizing', `${cs.name}: ${JSON.stringify(d.status()?.lastError)}`);
        for (const w of [...new Set([...cs.written, ...cs.inputs])]) assert.equal(await valueOf(dc, k(w)), await valueOf(sourceClient, k(w)), `${cs.name}: key ${k(w)}`);
      });
    }
    await assertSidesConsistent(spec, CASES.length);
  } finally {
    await d.kill('SIGTERM');
  }
}

test('each cross-slot multi-key command, standalone source -> 3-master cluster: what it wrote is equal, verify consistent', { timeout: 240_000 }, async (t) => {
  const src = await startRedis();
  const dst = await startCluster({ masters: 3 });
  try {
    // Untagged names: each command's keys are checked to lie in different slots.
    const name = (cmd: string, n: string): string => `${cmd.replace(' ', '_').toLowerCase()}:${n}`;
    for (const cs of CASES) {
      const keys = [...new Set([...cs.inputs, ...cs.written])].map((n) => name(cs.name, n));
      assert.ok(new Set(keys.map((k) => calculateSlot(k))).size === keys.length, `${cs.name}: keys ${keys.join(', ')} share a slot`);
    }
    await eachCommand('cross-slot-each', src, dst, name, src.client(), t);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('the same commands from a 3-master source cluster (keys of one slot there) -> 3-master cluster', { timeout: 240_000 }, async (t) => {
  const src = await startCluster({ masters: 3 });
  const dst = await startCluster({ masters: 3 });
  try {
    const name = (cmd: string, n: string): string => `{${cmd.replace(' ', '_').toLowerCase()}}:${n}`;
    await eachCommand('cluster-each', src, dst, name, src.client(), t);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
