// Against a real redis-server 7.0: every type and encoding it writes, parsed from its dump.rdb, must equal the live
// data read back over the wire, and every value's raw bytes must rebuild DUMP's payload byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis, type RedisServer } from '../harness/redis';
import { buildDumpPayload } from '../../provider/rdb/dump-payload';
import type { RdbEntry } from '../../provider/rdb/entry';
import { readRdbFile } from '../../provider/rdb/file';
import { RdbReader } from '../../provider/rdb/reader';
import { jsonBytes, type CanonicalDataset, type CanonicalRecord, type JsonValue } from '../../provider/rdb/canonical';
import { canonical, parseChunked, parseWhole, prng } from './util';

const BIG_LIST = Buffer.from('big:list');
const BIG_LIST_ELEMENT_BYTES = 1024;
const BIG_LIST_ELEMENTS = 100 * 1024; // 100 MiB of element data

type Cmd = Array<string | number | Buffer>;

async function pipelined(client: Redis, cmds: Cmd[]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 500) {
    const p = client.pipeline();
    for (const [name, ...args] of cmds.slice(i, i + 500)) p.call(String(name), ...args);
    const res = await p.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Keys of every type and every encoding Redis 7.0 writes, in two databases. */
async function populate(client: Redis): Promise<void> {
  const bin = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x0a]);
  await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '2000');
  const cmds: Cmd[] = [
    ['SET', 'str:int', '12345'], ['SET', 'str:neg', '-7'], ['SET', 'str:big-int', '9223372036854775807'],
    ['SET', 'str:short', 'hello'], ['SET', 'str:lzf', 'abc'.repeat(400)], ['SET', 'str:empty', ''],
    ['SET', Buffer.concat([Buffer.from('bin:'), bin]), bin], ['SET', 'str:random', randomBytes(3000)], ['SET', 'str:huge', randomBytes(20000)],
    ['SET', 'str:ttl', 'v', 'PX', '100000000'], ['SET', 'str:ttl-s', 'v', 'EX', '5000000'],
    ['RPUSH', 'list:small', 'a', 'b', '1', '-2', '300000', '9000000000', bin],
    ['RPUSH', 'list:plain', 'x', 'y'.repeat(5000), 'z'],
    ['SADD', 'set:intset', '1', '2', '-3', '70000', '5000000000'],
    ['SADD', 'set:ht', 'a', 'b', bin],
    ['SADD', 'set:big-intset', ...range(600).map(String)],
    ['ZADD', 'zset:lp', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'd', '-inf', 'e', '0', 'f'],
    ['ZADD', 'zset:skiplist', 'inf', 'top', '-inf', 'bottom', ...range(1000).flatMap((i) => [String(i / 7), `m${i}`])],
    ['HSET', 'hash:lp', 'f1', 'v1', 'f2', '2', bin, bin],
    ['HSET', 'hash:ht', ...range(1000).flatMap((i) => [`f${i}`, `value-${i}`])],
    ['HSET', 'hash:longval', 'f', 'x'.repeat(100)],
    ['EXPIRE', 'hash:ht', '9000000'],
  ];
  for (let i = 0; i < 5000; i += 500) cmds.push(['RPUSH', 'list:large', ...range(500).map((j) => `element-${i + j}`)]);
  for (let i = 0; i < 3000; i += 500) cmds.push(['SADD', 'set:large', ...range(500).map((j) => `member-${i + j}`)]);
  await pipelined(client, cmds);
  await populateStreams(client);
  await pipelined(client, [['SET', 'db1:str', 'one'], ['MOVE', 'db1:str', '1'], ['RPUSH', 'db1:list', 'q'], ['MOVE', 'db1:list', '1']]);
}

async function populateStreams(client: Redis): Promise<void> {
  const cmds: Cmd[] = [];
  for (let i = 1; i <= 350; i++) cmds.push(['XADD', 'stream:big', `${1000 + i}-${i % 3}`, 'n', String(i), 'text', `t${i}`]);
  for (let i = 1; i <= 10; i++) cmds.push(['XADD', 'stream:small', '*', ...(i % 2 ? ['a', String(i)] : ['b', 'x', 'c', 'y'])]);
  cmds.push(
    ['XDEL', 'stream:big', '1005-2', '1006-0'],
    ['XGROUP', 'CREATE', 'stream:big', 'g1', '0'], ['XGROUP', 'CREATE', 'stream:big', 'g2', '$'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '5', 'STREAMS', 'stream:big', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '3', 'STREAMS', 'stream:big', '>'],
    ['XACK', 'stream:big', 'g1', '1002-2'],
    ['XGROUP', 'CREATECONSUMER', 'stream:big', 'g2', 'carol'],
    ['XADD', 'stream:empty', '1-1', 'f', 'v'], ['XDEL', 'stream:empty', '1-1'], ['XGROUP', 'CREATE', 'stream:empty', 'g', '0'],
  );
  await pipelined(client, cmds);
}

async function populateBigList(client: Redis): Promise<void> {
  const perCmd = 1000;
  for (let i = 0; i < BIG_LIST_ELEMENTS; i += perCmd * 10) {
    const cmds: Cmd[] = [];
    for (let j = i; j < Math.min(i + perCmd * 10, BIG_LIST_ELEMENTS); j += perCmd) {
      cmds.push(['RPUSH', BIG_LIST, ...range(Math.min(perCmd, BIG_LIST_ELEMENTS - j)).map(() => randomBytes(BIG_LIST_ELEMENT_BYTES))]);
    }
    await pipelined(client, cmds);
  }
}

function pairsOf<T>(flat: T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function score(s: string): number | string {
  return s === 'inf' || s === '-inf' ? s : Number(s);
}

function info(flat: unknown[]): Map<string, unknown> {
  return new Map(pairsOf(flat).map(([k, v]) => [String(k), v]));
}

async function liveStream(c: Redis, key: Buffer): Promise<JsonValue> {
  const entries = (await c.callBuffer('XRANGE', key, '-', '+')) as Array<[Buffer, Buffer[]]>;
  const full = info((await c.call('XINFO', 'STREAM', key, 'FULL')) as unknown[]);
  const groups = ((full.get('groups') as unknown[][]) ?? []).map((g) => {
    const gi = info(g);
    const consumers = (gi.get('consumers') as unknown[][]).map((ci) => {
      const m = info(ci);
      return {
        name: String(m.get('name')),
        seen_time_ms: Number(m.get('seen-time')),
        pending: (m.get('pending') as unknown[][]).map(([id, t, n]) => [String(id), Number(t), Number(n)]),
      };
    }).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    return {
      name: String(gi.get('name')),
      last_delivered_id: String(gi.get('last-delivered-id')),
      entries_read: gi.get('entries-read') === null ? null : Number(gi.get('entries-read')),
      pending: (gi.get('pending') as unknown[][]).map(([id, cn, t, n]) => [String(id), String(cn), Number(t), Number(n)]),
      consumers,
    };
  }).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return {
    entries: entries.map(([id, fv]) => [id.toString(), pairsOf(fv).map(([f, v]) => [jsonBytes(f), jsonBytes(v)])]),
    length: Number(full.get('length')),
    last_id: String(full.get('last-generated-id')),
    first_id: String(full.get('recorded-first-entry-id')),
    max_deleted_entry_id: String(full.get('max-deleted-entry-id')),
    entries_added: Number(full.get('entries-added')),
    groups,
  } as JsonValue;
}

async function liveRecord(c: Redis, key: Buffer): Promise<CanonicalRecord> {
  const type = String(await c.call('TYPE', key));
  const pexp = Number(await c.call('PEXPIRETIME', key));
  const base = { key: jsonBytes(key), type, expire_at_ms: pexp < 0 ? null : pexp };
  switch (type) {
    case 'string': return { ...base, value: jsonBytes((await c.callBuffer('GET', key)) as Buffer) };
    case 'list': return { ...base, value: ((await c.callBuffer('LRANGE', key, 0, -1)) as Buffer[]).map(jsonBytes) };
    case 'set': return { ...base, value: ((await c.callBuffer('SMEMBERS', key)) as Buffer[]).sort(Buffer.compare).map(jsonBytes) };
    case 'zset': {
      const flat = (await c.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[];
      return { ...base, value: pairsOf(flat).map(([m, s]) => [jsonBytes(m), score(s.toString())]) };
    }
    case 'hash': {
      const flat = pairsOf((await c.callBuffer('HGETALL', key)) as Buffer[]).sort((a, b) => Buffer.compare(a[0], b[0]));
      return { ...base, value: flat.map(([f, v]) => [jsonBytes(f), jsonBytes(v)]) };
    }
    case 'stream': return { ...base, value: await liveStream(c, key) };
    default: throw new Error(`unexpected type ${type}`);
  }
}

async function liveDataset(server: RedisServer, skip: Buffer[]): Promise<CanonicalDataset> {
  const databases: Record<string, CanonicalRecord[]> = {};
  for (const db of [0, 1]) {
    const c = new Redis({ host: server.host, port: server.port, db });
    try {
      const keys = ((await c.callBuffer('KEYS', '*')) as Buffer[]).filter((k) => !skip.some((s) => s.equals(k))).sort(Buffer.compare);
      const recs: CanonicalRecord[] = [];
      for (const k of keys) recs.push(await liveRecord(c, k));
      if (recs.length > 0) databases[String(db)] = recs;
    } finally {
      c.disconnect();
    }
  }
  return databases === null ? { databases: {} } : { databases };
}

function withoutKey(entries: RdbEntry[], key: Buffer): RdbEntry[] {
  return entries.filter((e) => !('key' in e && e.key !== null && e.kind !== 'warning' && e.key.equals(key)));
}

async function checkDumps(server: RedisServer, entries: RdbEntry[], rdbVersion: number): Promise<number> {
  const clients = [0, 1].map((db) => new Redis({ host: server.host, port: server.port, db }));
  let n = 0;
  try {
    for (const e of entries) {
      if (e.kind !== 'key') continue;
      const dump = await clients[e.db].dumpBuffer(e.key);
      assert.ok(buildDumpPayload(e.rdbType, e.raw, rdbVersion).equals(dump), `DUMP of ${e.key.toString()} (type ${e.rdbType})`);
      n++;
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
  return n;
}

function elementsDigest(elements: Iterable<Buffer>, h = createHash('sha256')): { h: ReturnType<typeof createHash>; n: number } {
  let n = 0;
  for (const e of elements) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(e.length);
    h.update(len).update(e);
    n++;
  }
  return { h, n };
}

async function liveBigListDigest(c: Redis): Promise<[string, number]> {
  const h = createHash('sha256');
  let n = 0;
  for (let i = 0; i < BIG_LIST_ELEMENTS; i += 10_000) {
    n += elementsDigest((await c.callBuffer('LRANGE', BIG_LIST, i, i + 9_999)) as Buffer[], h).n;
  }
  return [h.digest('hex'), n];
}

/** Streams the file through readRdbFile, digesting the big list's parts without keeping them. */
async function parsedBigList(file: string, bigKeyBytes: number): Promise<{ digest: string; n: number; parts: number; begins: number }> {
  const h = createHash('sha256');
  let n = 0;
  let parts = 0;
  let begins = 0;
  for await (const e of readRdbFile(file, { bigKeyBytes })) {
    if (e.kind === 'bigkey-begin' && e.key.equals(BIG_LIST)) begins++;
    if (e.kind === 'bigkey-part' && e.key.equals(BIG_LIST) && e.part.kind === 'list') {
      n += elementsDigest(e.part.elements, h).n;
      parts++;
    }
    assert.ok(!(e.kind === 'key' && e.key.equals(BIG_LIST)), 'the 100 MiB list must come in parts');
  }
  return { digest: h.digest('hex'), n, parts, begins };
}

test('redis-server 7.0 dump.rdb: every type and encoding, DUMP payloads, chunking, big keys', { timeout: 300_000 }, async () => {
  const server = await startRedis();
  try {
    const client = server.client();
    await populate(client);
    // A stream past bigKeyBytes 4096, with a consumer group and pending entries, to come in parts below.
    const p = client.pipeline();
    for (let i = 1; i <= 1500; i++) p.xadd('live:bigstream', `${i}-1`, 'field', `value-${i}`);
    await p.exec();
    await client.xgroup('CREATE', 'live:bigstream', 'g1', '0');
    await client.xreadgroup('GROUP', 'g1', 'c1', 'COUNT', 10, 'STREAMS', 'live:bigstream', '>');
    assert.equal(await client.call('SAVE'), 'OK');
    const smallFile = join(server.dir, 'small.rdb');
    copyFileSync(join(server.dir, 'dump.rdb'), smallFile);
    const small = readFileSync(smallFile);

    const whole = parseWhole(small);
    const types = new Set(whole.entries.flatMap((e) => (e.kind === 'key' ? [e.rdbType] : [])));
    console.log(`live: ${whole.entries.filter((e) => e.kind === 'key').length} keys, RDB v${whole.reader.rdbVersion}, types ${[...types].sort((a, b) => a - b).join(',')}`);
    for (const t of [0, 2, 4, 5, 11, 16, 17, 18, 19]) assert.ok(types.has(t), `Redis 7.0 wrote no value of type ${t}`);

    const live = await liveDataset(server, [BIG_LIST]);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(canonical(whole.entries))), JSON.parse(JSON.stringify(live)));
    const dumped = await checkDumps(server, whole.entries, whole.reader.rdbVersion);
    console.log(`live: ${dumped} DUMP payloads identical`);

    const bigParsed = parseWhole(small, { bigKeyBytes: 4096 });
    const bigKinds = new Set(bigParsed.entries.flatMap((e) => (e.kind === 'bigkey-begin' ? [e.rdbType] : [])));
    for (const t of [0, 2, 5, 4, 18, 19]) assert.ok(bigKinds.has(t), `no big key of type ${t} at bigKeyBytes 4096`);
    assert.deepStrictEqual(canonical(bigParsed.entries), canonical(whole.entries));

    // Through a sink: the same entries in the same order, and what the sink throws comes out unchanged.
    for (const bigKeyBytes of [undefined, 4096]) {
      const sunk: RdbEntry[] = [];
      const r = new RdbReader({ bigKeyBytes });
      for (let i = 0; i < small.length; i += 3000) assert.deepEqual(r.push(small.subarray(i, i + 3000), (e) => { sunk.push(e); }), []);
      if (bigKeyBytes) assert.deepStrictEqual(canonical(sunk), canonical(whole.entries));
      else assert.deepStrictEqual(sunk, whole.entries);
    }
    // A sink that stops the reader after every entry: resume() goes on, one unit at a time, to the same dataset.
    const stopped: RdbEntry[] = [];
    const r = new RdbReader({ bigKeyBytes: 4096 });
    const sink = (e: RdbEntry): boolean => { stopped.push(e); return false; };
    let resumes = 0;
    for (let i = 0; i < small.length; i += 3000) {
      r.push(small.subarray(i, i + 3000), sink);
      for (; r.isStalled; resumes++) r.resume(sink);
    }
    assert.ok(r.done && resumes > 0);
    assert.deepStrictEqual(canonical(stopped), canonical(whole.entries));
    const boom = new Error('sink failed');
    assert.throws(() => new RdbReader().push(small, () => { throw boom; }), (e: unknown) => e === boom);

    const rnd = prng(42);
    for (const [name, next] of [['1-byte', () => 1], ['7-byte', () => 7], ['random', () => 1 + Math.floor(rnd() * 5000)]] as const) {
      const chunked = parseChunked(small, {}, next);
      assert.deepStrictEqual(chunked.entries, whole.entries, `${name} chunks`);
      const chunkedBig = parseChunked(small, { bigKeyBytes: 4096 }, next);
      assert.deepStrictEqual(chunkedBig.entries.length > 0, true);
      assert.deepStrictEqual(canonical(chunkedBig.entries), canonical(whole.entries), `${name} chunks, small bigKeyBytes`);
    }

    await populateBigList(client);
    assert.equal(await client.call('SAVE'), 'OK');
    const fullFile = join(server.dir, 'dump.rdb');
    const [liveDigest, liveN] = await liveBigListDigest(client);
    assert.equal(liveN, BIG_LIST_ELEMENTS);
    for (const bigKeyBytes of [64 * 1024 * 1024, 1024 * 1024]) {
      const got = await parsedBigList(fullFile, bigKeyBytes);
      assert.equal(got.begins, 1);
      assert.equal(got.n, BIG_LIST_ELEMENTS);
      assert.equal(got.digest, liveDigest, `big list elements at bigKeyBytes ${bigKeyBytes}`);
      console.log(`live: 100 MiB list in ${got.parts} parts at bigKeyBytes ${bigKeyBytes}`);
    }
    const rest: RdbEntry[] = [];
    for await (const e of readRdbFile(fullFile)) rest.push(e);
    assert.deepStrictEqual(canonical(withoutKey(rest, BIG_LIST)), canonical(whole.entries));
  } finally {
    await server.stop();
  }
});
