// Test data for the writer and verify tests: keys of every type and encoding made on a real server, and KeyEntry
// objects built from that server (DUMP for raw bytes, reads for the decoded value), as the RDB reader would emit.
import type Redis from 'ioredis';
import type { KeyEntry, DecodedValue, StreamId, StreamValue, StreamGroup, ValueKind } from '../../provider/rdb/entry';
import { parseDumpPayload } from '../../provider/rdb/dump-payload';
import { asArray, asBuffer, asNumber, type Reply, type CallArg } from '../../provider/verify/redis-calls';

/** One command through ioredis with Buffer replies, narrowed to Reply. */
export async function call(c: Redis, command: string, ...args: CallArg[]): Promise<Reply> {
  return toReply(await c.callBuffer(command, args));
}

function toReply(v: unknown): Reply {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || typeof v === 'number' || v instanceof Error) return v;
  if (Array.isArray(v)) return v.map(toReply);
  if (typeof v === 'string') return Buffer.from(v);
  throw new Error(`unexpected reply of type ${typeof v}`);
}

/** Makes one key per type and encoding in the client's current db; returns the key names. */
export async function populateAllTypes(c: Redis, prefix = ''): Promise<string[]> {
  const k = (n: string): string => `${prefix}${n}`;
  const big = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  await c.set(k('str:int'), '12345');
  await c.set(k('str:embstr'), 'hello');
  await c.set(k('str:raw'), 'x'.repeat(200));
  await c.set(Buffer.from([0xff, 0x00, 0xfe, 0x0a]), Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.set(k('str:ttl'), 'expiring', 'PX', 3_600_000);
  await c.rpush(k('list:small'), 'a', 'b', 'a', '1');
  await c.rpush(k('list:big'), ...big(600, (i) => `element-${i}-${'y'.repeat(i % 50)}`));
  await c.sadd(k('set:intset'), 1, 2, 3, -7);
  await c.sadd(k('set:small'), 'a', 'b', 'c');
  await c.sadd(k('set:big'), ...big(700, (i) => `m${i}`));
  await c.zadd(k('zset:small'), 1.5, 'a', 0.1 + 0.2, 'b', -3, 'c');
  await c.zadd(k('zset:big'), ...big(300, (i) => [String(i / 7), `z${i}`]).flat(), 'inf', 'top', '-inf', 'bottom', '1e-300', 'tiny');
  await c.hset(k('hash:small'), 'f1', 'v1', 'f2', 'v2');
  await c.hset(k('hash:big'), ...big(600, (i) => [`f${i}`, `v${i}`]).flat());
  await c.pexpire(k('hash:big'), 7_200_000);
  await populateStream(c, k('stream'));
  await c.xgroup('CREATE', k('stream:empty'), 'g', '$', 'MKSTREAM');
  return [
    'str:int', 'str:embstr', 'str:raw', 'str:ttl', 'list:small', 'list:big', 'set:intset', 'set:small', 'set:big',
    'zset:small', 'zset:big', 'hash:small', 'hash:big', 'stream', 'stream:empty',
  ].map(k).concat([Buffer.from([0xff, 0x00, 0xfe, 0x0a]).toString('latin1')]);
}

async function populateStream(c: Redis, key: string): Promise<void> {
  for (let i = 1; i <= 20; i++) await c.xadd(key, `${1000 + i}-${i % 3}`, 'n', String(i), 'payload', 'p'.repeat(i));
  await c.xdel(key, '1003-0', '1020-2');
  await c.xgroup('CREATE', key, 'g1', '0');
  await c.xgroup('CREATE', key, 'g2', '1010-1');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 3, 'STREAMS', key, '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', key, '>');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 1, 'STREAMS', key, '0'); // redelivery: count 2
  await c.xack(key, 'g1', '1002-2');
  await c.xgroup('CREATECONSUMER', key, 'g2', 'idle-carol');
}

/** A KeyEntry for key as the RDB reader would build it from a snapshot of this server. */
export async function entryFromServer(c: Redis, db: number, key: Buffer): Promise<KeyEntry> {
  const dump = asBuffer(await call(c, 'DUMP', key));
  const { rdbType, raw } = parseDumpPayload(dump);
  const valueKind = asBuffer(await call(c, 'TYPE', key)).toString('latin1') as ValueKind;
  const expire = asNumber(await call(c, 'PEXPIRETIME', key));
  const decoded = await decodedFromServer(c, key, valueKind);
  return {
    kind: 'key', db, key, rdbType, valueKind, expireAtMs: expire > 0 ? expire : null, idleSeconds: null, freq: null,
    raw: Buffer.from(raw), decode: () => decoded, offset: 0,
  };
}

export async function decodedFromServer(c: Redis, key: Buffer, kind: ValueKind): Promise<DecodedValue> {
  const bufs = (r: Reply): Buffer[] => asArray(r).map(asBuffer);
  switch (kind) {
    case 'string': return { kind, value: asBuffer(await call(c, 'GET', key)) };
    case 'list': return { kind, elements: bufs(await call(c, 'LRANGE', key, 0, -1)) };
    case 'set': return { kind, members: bufs(await call(c, 'SMEMBERS', key)) };
    case 'zset': {
      const flat = bufs(await call(c, 'ZRANGE', key, 0, -1, 'WITHSCORES'));
      const members: Array<[Buffer, number]> = [];
      for (let i = 0; i < flat.length; i += 2) members.push([flat[i], parseScore(flat[i + 1].toString())]);
      return { kind, members };
    }
    case 'hash': {
      const flat = bufs(await call(c, 'HGETALL', key));
      const fields: Array<[Buffer, Buffer]> = [];
      for (let i = 0; i < flat.length; i += 2) fields.push([flat[i], flat[i + 1]]);
      return { kind, fields, fieldExpireAtMs: [] };
    }
    case 'stream': return { kind, stream: await streamFromServer(c, key) };
    default: throw new Error(`no decoder for ${kind}`);
  }
}

function parseScore(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

export function parseId(b: Reply): StreamId {
  const [ms, seq] = asBuffer(b).toString('latin1').split('-');
  return { ms: BigInt(ms), seq: BigInt(seq) };
}

function mapOf(r: Reply): Map<string, Reply> {
  const flat = asArray(r);
  const m = new Map<string, Reply>();
  for (let i = 0; i < flat.length; i += 2) m.set(asBuffer(flat[i]).toString(), flat[i + 1]);
  return m;
}

async function streamFromServer(c: Redis, key: Buffer): Promise<StreamValue> {
  const info = mapOf(await call(c, 'XINFO', 'STREAM', key, 'FULL', 'COUNT', 0));
  const entries = asArray(info.get('entries') ?? null).map((e): [StreamId, Array<[Buffer, Buffer]>] => {
    const [id, fv] = asArray(e);
    const flat = asArray(fv).map(asBuffer);
    const pairs: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    return [parseId(id), pairs];
  });
  const groups = asArray(info.get('groups') ?? null).map((g): StreamGroup => {
    const gm = mapOf(g);
    return {
      name: asBuffer(gm.get('name') ?? null),
      lastDeliveredId: parseId(gm.get('last-delivered-id') ?? null),
      entriesRead: gm.get('entries-read') === null ? null : asNumber(gm.get('entries-read') ?? null),
      pending: asArray(gm.get('pending') ?? null).map((p) => {
        const [id, consumer, time, count] = asArray(p);
        return { id: parseId(id), consumer: asBuffer(consumer), deliveryTimeMs: asNumber(time), deliveryCount: asNumber(count) };
      }),
      consumers: asArray(gm.get('consumers') ?? null).map((cr) => {
        const cm = mapOf(cr);
        return {
          name: asBuffer(cm.get('name') ?? null), seenTimeMs: asNumber(cm.get('seen-time') ?? null), activeTimeMs: null,
          pending: asArray(cm.get('pending') ?? null).map((p) => parseId(asArray(p)[0])),
        };
      }),
    };
  });
  return {
    entries, length: asNumber(info.get('length') ?? null), lastId: parseId(info.get('last-generated-id') ?? null),
    firstId: parseId(info.get('recorded-first-entry-id') ?? null),
    maxDeletedEntryId: parseId(info.get('max-deleted-entry-id') ?? null),
    entriesAdded: asNumber(info.get('entries-added') ?? null), groups,
  };
}

/** Rejects after ms: every wait in the tests is bounded. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
