// What every compatibility cell writes on its source, shaped by what the source has: a dataset for the full sync
// (every type, TTLs, big and small encodings, streams with groups and pending entries, hash field TTLs, a function
// library) and rounds of a mixed incremental load (SET EX, INCRBYFLOAT, KEEPTTL, XREADGROUP, expiries, multi-field
// HSET, UNLINK). Keys the destination cannot hold get the prefix "u:": the prechecks must name them.
import type Redis from 'ioredis';
import { atLeast, type ServerVersion } from './servers';

export const UNSUPPORTED_PREFIX = 'u:';

export interface Shape {
  streams: boolean;
  fieldTtls: boolean;
  functions: boolean;
  /** Key names for streams and field-TTL hashes ("u:..." when the destination cannot hold them). */
  streamKey: string;
  fieldTtlKey: string;
  /** Data the destination cannot hold is written (the prechecks must refuse, naming it). */
  unsupported: string[];
}

export function shapeFor(src: ServerVersion, dst: ServerVersion): Shape {
  const streams = atLeast(src, '5.0.0');
  const fieldTtls = !src.valkey && atLeast(src, '7.4.0');
  const functions = atLeast(src, '7.0.0');
  const dstStreams = atLeast(dst, '5.0.0');
  const dstFieldTtls = !dst.valkey && atLeast(dst, '7.4.0');
  const unsupported: string[] = [];
  if (streams && !dstStreams) unsupported.push('streams');
  if (fieldTtls && !dstFieldTtls) unsupported.push('hash field TTLs');
  if (functions && !atLeast(dst, '7.0.0')) unsupported.push('function libraries');
  return {
    streams, fieldTtls, functions, unsupported,
    streamKey: dstStreams ? 'x:1' : `${UNSUPPORTED_PREFIX}x:1`,
    fieldTtlKey: dstFieldTtls ? 'hf:1' : `${UNSUPPORTED_PREFIX}hf:1`,
  };
}

export async function populate(c: Redis, src: ServerVersion, shape: Shape): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < 100; i++) p.set(`s:${i}`, `value-${i}`);
  for (let i = 0; i < 20; i++) p.setex(`sx:${i}`, 1000 + i, `expiring-${i}`);
  p.rpush('l:1', ...Array.from({ length: 100 }, (_, i) => `e${i}`));
  p.sadd('set:1', ...Array.from({ length: 50 }, (_, i) => `m${i}`));
  p.sadd('set:int', ...Array.from({ length: 50 }, (_, i) => i));
  p.zadd('z:1', ...Array.from({ length: 50 }, (_, i) => [i * 1.5, `m${i}`]).flat(), '+inf', 'top', '-inf', 'bottom');
  p.call('HMSET', 'h:small', ...Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  p.call('HMSET', 'h:big', ...Array.from({ length: 600 }, (_, i) => [`field-${i}`, `value-${i}`]).flat());
  p.pexpire('h:big', 900_000);
  p.incrbyfloat('f:1', 1.5);
  if (atLeast(src, '6.0.0')) p.set('f:ttl', '1', 'EX', 1000);
  await p.exec();
  if (shape.streams) {
    const k = shape.streamKey;
    for (let i = 0; i < 30; i++) await c.call('XADD', k, '*', 'n', String(i));
    await c.call('XGROUP', 'CREATE', k, 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '10', 'STREAMS', k, '>');
    const [[first]] = (await c.call('XRANGE', k, '-', '+', 'COUNT', '1')) as Array<[string, string[]]>;
    await c.call('XACK', k, 'g', first);
    const last = ((await c.call('XREVRANGE', k, '+', '-', 'COUNT', '1')) as Array<[string, string[]]>)[0][0];
    await c.call('XDEL', k, last);
  }
  if (shape.fieldTtls) {
    await c.call('HSET', shape.fieldTtlKey, 'a', '1', 'b', '2', 'c', '3');
    await c.call('HEXPIRE', shape.fieldTtlKey, '1000', 'FIELDS', '2', 'a', 'b');
  }
  if (shape.functions) await c.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=compat\nredis.register_function('compat_one', function() return 1 end)");
}

/** One round of the incremental load. */
export async function loadRound(c: Redis, src: ServerVersion, shape: Shape, i: number): Promise<void> {
  const modern = atLeast(src, '4.0.0');
  const p = c.pipeline();
  p.set(`se:${i}`, `v${i}`, 'EX', 300);
  p.expire(`s:${i % 100}`, 500 + i);
  p.psetex(`e:${i}`, 150, 'short-lived'); // expires on the source, which then propagates DEL (UNLINK on Valkey)
  p.incrbyfloat('f:1', 0.5);
  // Before 6.0 Redis replicates INCRBYFLOAT as a SET that drops the key's TTL on replicas: only keys without one.
  if (atLeast(src, '6.0.0')) {
    p.incrbyfloat('f:ttl', 0.25);
    p.set(`se:${i}`, `kept-${i}`, 'KEEPTTL');
  }
  p.call(modern ? 'HSET' : 'HMSET', `h:inc:${i % 10}`, 'a', String(i), 'b', String(i * 2));
  p.call(modern ? 'UNLINK' : 'DEL', `s:${(i + 50) % 100}`);
  p.lpush('l:1', `p${i}`);
  p.zincrby('z:1', 1, 'm1');
  await p.exec();
  if (shape.streams) {
    const k = shape.streamKey;
    await c.call('XADD', k, '*', 'round', String(i));
    if (i % 3 === 0) {
      const got = (await c.call('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '2', 'STREAMS', k, '>')) as Array<[string, Array<[string, string[]]>]> | null;
      const ids = got?.[0]?.[1].map(([id]) => id) ?? [];
      if (ids.length) await c.call('XACK', k, 'g', ids[0]);
    }
  }
  if (shape.fieldTtls) {
    await c.call('HSET', shape.fieldTtlKey, `r${i}`, String(i));
    await c.call('HPEXPIRE', shape.fieldTtlKey, String(60_000 + i), 'FIELDS', '1', `r${i}`);
  }
}
