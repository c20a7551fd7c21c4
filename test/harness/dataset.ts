// Test data: keys of every type in every encoding Redis 7.0 writes, and a bounded mixed write load.
import Redis from 'ioredis';

/** A small deterministic PRNG so failures reproduce (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BIN = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0x80]);

/** Keys of every type and encoding in db, small and large (listpack/intset and hashtable/skiplist/quicklist). */
export async function fillEveryType(c: Redis, db: number, prefix = ''): Promise<number> {
  await c.select(db);
  const p = c.pipeline();
  const k = (s: string): string => `${prefix}${s}`;
  p.set(k('str:raw'), 'hello world');
  p.set(k('str:int'), '12345');
  p.set(k('str:big'), 'x'.repeat(100_000)); // LZF-compressible
  p.set(Buffer.concat([Buffer.from(k('bin:')), BIN]), BIN);
  p.set(k('str:ttl'), 'expiring', 'EX', 3600);
  p.set(k('str:pttl'), 'expiring-ms', 'PX', 7_200_000);
  p.rpush(k('list:small'), 'a', 'b', 'c', '1', '-2');
  p.rpush(k('list:large'), ...Array.from({ length: 2000 }, (_, i) => `element-${i}-${'y'.repeat(i % 50)}`));
  p.sadd(k('set:int'), 1, 2, 3, 100, -5);
  p.sadd(k('set:small'), 'a', 'b', 'c');
  p.sadd(k('set:large'), ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
  p.zadd(k('zset:small'), 1, 'a', 2.5, 'b', -3, 'c');
  p.zadd(k('zset:inf'), 'inf', 'top', '-inf', 'bottom', 0, 'zero');
  p.zadd(k('zset:large'), ...Array.from({ length: 500 }, (_, i) => [i * 1.5, `member-${i}`]).flat());
  p.hset(k('hash:small'), 'f1', 'v1', 'f2', 'v2');
  p.hset(k('hash:large'), ...Array.from({ length: 1000 }, (_, i) => [`field${i}`, `value${i}`]).flat());
  p.hset(k('hash:bigvalue'), 'f', 'z'.repeat(200));
  p.pfadd(k('hll'), 'a', 'b', 'c');
  p.setbit(k('bitmap'), 1000, 1);
  p.geoadd(k('geo'), 13.361389, 38.115556, 'Palermo');
  p.expire(k('list:small'), 5000);
  await p.exec();
  await fillStream(c, k('stream'));
  return 22;
}

async function fillStream(c: Redis, key: string): Promise<void> {
  for (let i = 1; i <= 20; i++) await c.xadd(key, `${1000 + i}-0`, 'field', `value${i}`, 'n', String(i));
  await c.xdel(key, '1005-0');
  await c.xgroup('CREATE', key, 'g1', '0');
  await c.xgroup('CREATE', key, 'g2', '1010-0');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 3, 'STREAMS', key, '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', key, '>');
  await c.xack(key, 'g1', '1001-0');
}

export interface LoadOptions {
  dbs: number[];
  durationMs: number;
  maxCommands: number;
  keys?: number;
  seed?: number;
  /** Commands per pipeline round trip. */
  batch?: number;
}

/** A bounded write load of mixed commands (by count and by time); returns how many commands it sent. */
export async function runMixedLoad(c: Redis, opts: LoadOptions): Promise<number> {
  const rnd = prng(opts.seed ?? 1);
  const keys = opts.keys ?? 200;
  const deadline = Date.now() + opts.durationMs;
  let sent = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  while (sent < opts.maxCommands && Date.now() < deadline) {
    const p = c.pipeline();
    p.select(pick(opts.dbs));
    for (let i = 0; i < (opts.batch ?? 50) && sent < opts.maxCommands; i++, sent++) {
      const n = Math.floor(rnd() * keys);
      switch (Math.floor(rnd() * 16)) {
        case 0: p.set(`load:s:${n}`, `v${sent}`); break;
        case 1: p.incr(`load:c:${n}`); break;
        case 2: p.rpush(`load:l:${n}`, `e${sent}`); break;
        case 3: p.lpop(`load:l:${n}`); break;
        case 4: p.sadd(`load:set:${n}`, `m${sent % 30}`); break;
        case 5: p.srem(`load:set:${n}`, `m${sent % 30}`); break;
        case 6: p.zadd(`load:z:${n}`, sent % 100, `m${sent % 20}`); break;
        case 7: p.zincrby(`load:z:${n}`, 1.5, `m${sent % 20}`); break;
        case 8: p.hset(`load:h:${n}`, `f${sent % 10}`, `v${sent}`); break;
        case 9: p.hdel(`load:h:${n}`, `f${sent % 10}`); break;
        case 10: p.del(`load:s:${n}`); break;
        case 11: p.expire(`load:c:${n}`, 1000 + (sent % 100)); break;
        case 12: p.xadd(`load:x:${n}`, '*', 'f', `v${sent}`); break;
        case 13: p.append(`load:s:${n}`, 'a'); break;
        case 14: p.call('MULTI'); p.incrby(`load:c:${n}`, 3); p.rpush(`load:l:${n}`, 'tx'); p.call('EXEC'); break;
        default: p.setex(`load:t:${n}`, 500, `v${sent}`); break;
      }
    }
    await p.exec();
  }
  return sent;
}

/**
 * A bounded write load through any client (a cluster one too): single-key commands over keys spread across all
 * slots, plus hash-tagged multi-key ones. With idempotent, replaying any suffix of it gives the same data
 * (what an at-least-once destination may do after a crash).
 */
export async function runSpreadLoad(c: Redis | InstanceType<typeof Redis.Cluster>, opts: { durationMs: number; maxCommands: number; seed?: number; keys?: number; idempotent?: boolean; crossSlot?: boolean }): Promise<number> {
  const rnd = prng(opts.seed ?? 3);
  const keys = opts.keys ?? 2000;
  const deadline = Date.now() + opts.durationMs;
  let sent = 0;
  while (sent < opts.maxCommands && Date.now() < deadline) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50 && sent < opts.maxCommands; i++, sent++) {
      const n = Math.floor(rnd() * keys);
      const op = Math.floor(rnd() * (opts.idempotent ? 7 : 12));
      switch (op) {
        case 0: batch.push(c.set(`s:${n}`, `v${sent}`)); break;
        case 1: batch.push(c.hset(`h:${n}`, `f${sent % 7}`, `v${sent}`)); break;
        case 2: batch.push(c.sadd(`set:${n}`, `m${sent % 11}`)); break;
        case 3: batch.push(c.zadd(`z:${n}`, sent % 97, `m${sent % 13}`)); break;
        case 4: batch.push(c.del(`s:${(n + 1) % keys}`)); break;
        case 5: batch.push(c.mset(`{t${n}}a`, `v${sent}`, `{t${n}}b`, `w${sent}`)); break;
        case 6: batch.push(c.set(`e:${n}`, `v${sent}`, 'EX', 3600)); break;
        case 7: batch.push(c.incr(`c:${n}`)); break;
        case 8: batch.push(c.rpush(`l:${n}`, `e${sent}`)); break;
        case 9: batch.push(c.lpop(`l:${n}`)); break;
        case 10: batch.push(c.hincrby(`h:${n}`, 'count', 1)); break;
        default: batch.push(opts.crossSlot ? c.del(`s:${n}`, `s:${(n + 7) % keys}`) : c.append(`s:${n}`, 'x')); break;
      }
    }
    await Promise.all(batch);
  }
  return sent;
}
