import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisServer } from '../harness/redis';
import { StandaloneWriter } from '../../provider/writer/standalone-writer';
import { keyEntryCommands, bigKeyEntryCommands, type KeyCommandOptions } from '../../provider/writer/key-commands';
import { decodeCommand } from '../../provider/writer/command-text';
import { formatScore } from '../../provider/writer/score';
import { maxRdbVersionFor } from '../../provider/writer/rdb-version';
import { verify } from '../../provider/verify/verify';
import type { BigKeyEntry, KeyEntry, StreamId } from '../../provider/rdb/entry';
import type { EndpointSpec } from '../../provider/spec/types';
import { populateAllTypes, entryFromServer, within } from './fixtures';

const spec = (s: RedisServer): EndpointSpec => ({ mode: 'standalone', nodes: [s.addr] });
const RESTORE: KeyCommandOptions = { sourceRdbVersion: 10, destinationRdbVersion: 10 };
const REWRITE: KeyCommandOptions = { sourceRdbVersion: 10, destinationRdbVersion: 10, bigKeyBytes: 0, rewriteChunkElements: 50 };

async function entriesOf(s: RedisServer, keys: string[]): Promise<KeyEntry[]> {
  return Promise.all(keys.map((k) => entryFromServer(s.client(), 0, Buffer.from(k, 'latin1'))));
}

async function writeAll(dst: RedisServer, commands: Iterable<Buffer>): Promise<number> {
  const w = await StandaloneWriter.open(spec(dst));
  let n = 0;
  try {
    for (const c of commands) {
      n++;
      if (!w.write(0, null, c)) await within(new Promise<void>((r) => w.once('drain', r)), 10_000, 'drain');
    }
    await within(w.flush(), 10_000, 'flush');
  } finally {
    await w.close();
  }
  return n;
}

function* allCommands(entries: KeyEntry[], opts: KeyCommandOptions): Generator<Buffer> {
  for (const e of entries) yield* keyEntryCommands(e, opts);
}

const names = (cmds: Buffer[]): string[] => cmds.map((c) => decodeCommand(c, 1)[0].toString());

async function withPair(fn: (a: RedisServer, b: RedisServer) => Promise<void>): Promise<void> {
  const a = await startRedis();
  try {
    const b = await startRedis();
    try { await fn(a, b); } finally { await b.stop(); }
  } finally {
    await a.stop();
  }
}

test('RESTORE path reproduces every type and encoding, TTLs included', () => withPair(async (a, b) => {
  const entries = await entriesOf(a, await populateAllTypes(a.client()));
  const cmds = [...allCommands(entries, RESTORE)];
  assert.deepEqual(new Set(names(cmds)), new Set(['RESTORE']));
  await writeAll(b, cmds);
  const report = await verify(spec(a), spec(b));
  assert.deepEqual(report.firstMismatches, []);
  assert.equal(report.consistent, true);
  assert.equal(report.keysCompared, entries.length);
  const ttl = await b.client().pttl('str:ttl');
  assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `TTL kept (${ttl})`);
}));

test('rewrite path (commands) reproduces every type and encoding, streams with groups, PEL and consumers', () => withPair(async (a, b) => {
  const entries = await entriesOf(a, await populateAllTypes(a.client()));
  const cmds = [...allCommands(entries, REWRITE)];
  assert.ok(!names(cmds).includes('RESTORE'));
  for (const n of ['DEL', 'SET', 'RPUSH', 'SADD', 'ZADD', 'HSET', 'XADD', 'XSETID', 'XGROUP', 'XCLAIM', 'PEXPIREAT']) assert.ok(names(cmds).includes(n), n);
  await writeAll(b, cmds);
  const report = await verify(spec(a), spec(b));
  assert.deepEqual(report.firstMismatches, []);
  assert.equal(report.consistent, true);
  assert.equal(await b.client().zscore('zset:big', 'top'), 'inf');
}));

test('a destination with an older RDB version gets commands, without 7.0-only arguments', async () => {
  const s = await startRedis();
  try {
    await s.client().xadd('s', '5-1', 'f', 'v');
    await s.client().xgroup('CREATE', 's', 'g', '0');
    const [e] = await entriesOf(s, ['s']);
    const cmds = [...keyEntryCommands(e, { sourceRdbVersion: 10, destinationRdbVersion: maxRdbVersionFor('6.2.14') })];
    const text = cmds.map((c) => decodeCommand(c).map((x) => x.toString()).join(' '));
    assert.deepEqual(text, ['DEL s', 'XADD s 5-1 f v', 'XSETID s 5-1', 'XGROUP CREATE s g 0-0']);
  } finally {
    await s.stop();
  }
});

test('RDB versions per Redis version', () => {
  assert.deepEqual(['3.2.1', '4.0.14', '5.0.7', '6.2.14', '7.0.15', '7.2.4', '7.4.1'].map(maxRdbVersionFor), [7, 8, 9, 9, 10, 11, 12]);
});

test('big keys are rewritten in bounded chunks and reproduced', () => withPair(async (a, b) => {
  await populateAllTypes(a.client());
  const entries = await entriesOf(a, ['list:big', 'set:big', 'zset:big', 'hash:big', 'str:raw']);
  const opts: KeyCommandOptions = { sourceRdbVersion: 10, destinationRdbVersion: 10, bigKeyBytes: 10, rewriteChunkElements: 7, rewriteChunkBytes: 64 };
  const cmds = [...allCommands(entries, opts)];
  assert.ok(cmds.filter((c) => names([c])[0] === 'RPUSH').length >= 600 / 7);
  assert.ok(cmds.every((c) => decodeCommand(c).length <= 2 + 7 * 2), 'no command above the element bound');
  assert.ok(names(cmds).includes('APPEND'));
  await writeAll(b, cmds);
  const report = await verify(spec(a), spec(b), { ignoreKeys: (k) => !entries.some((e) => e.key.equals(k)) });
  assert.deepEqual(report.firstMismatches, []);
  assert.equal(report.keysCompared, 5);
}));

test('BigKeyEntry begin/part/end sequences reproduce lists, strings, hashes with expiry and streams', () => withPair(async (a, b) => {
  const c = a.client();
  const list = Array.from({ length: 30 }, (_, i) => Buffer.from(`e${i}`));
  await c.rpush('L', ...list);
  await c.set('S', 'abcdefghij');
  await c.hset('H', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
  const at = Date.now() + 600_000;
  await c.pexpireat('H', at);
  for (let i = 1; i <= 5; i++) await c.xadd('X', `${i}-1`, 'f', `v${i}`);
  const key = (k: string) => Buffer.from(k);
  const sid = (ms: number) => ({ ms: BigInt(ms), seq: 1n });
  const xentries = [1, 2, 3, 4, 5].map((i): [StreamId, Array<[Buffer, Buffer]>] => [sid(i), [[key('f'), key(`v${i}`)]]]);
  const pieces: BigKeyEntry[] = [
    { kind: 'bigkey-begin', db: 0, key: key('L'), rdbType: 18, valueKind: 'list', expireAtMs: null, offset: 0 },
    { kind: 'bigkey-part', db: 0, key: key('L'), part: { kind: 'list', elements: list.slice(0, 10) } },
    { kind: 'bigkey-part', db: 0, key: key('L'), part: { kind: 'list', elements: list.slice(10) } },
    { kind: 'bigkey-end', db: 0, key: key('L'), expireAtMs: null },
    { kind: 'bigkey-begin', db: 0, key: key('S'), rdbType: 0, valueKind: 'string', expireAtMs: null, offset: 0 },
    { kind: 'bigkey-part', db: 0, key: key('S'), part: { kind: 'string', value: Buffer.from('abcde') } },
    { kind: 'bigkey-part', db: 0, key: key('S'), part: { kind: 'string', value: Buffer.from('fghij') } },
    { kind: 'bigkey-end', db: 0, key: key('S'), expireAtMs: null },
    { kind: 'bigkey-begin', db: 0, key: key('H'), rdbType: 4, valueKind: 'hash', expireAtMs: at, offset: 0 },
    { kind: 'bigkey-part', db: 0, key: key('H'), part: { kind: 'hash', fields: [[key('f1'), key('v1')]], fieldExpireAtMs: [] } },
    { kind: 'bigkey-part', db: 0, key: key('H'), part: { kind: 'hash', fields: [[key('f2'), key('v2')], [key('f3'), key('v3')]], fieldExpireAtMs: [] } },
    { kind: 'bigkey-end', db: 0, key: key('H'), expireAtMs: at },
    // A stream: parts of entries, then the last part with the rest and the metadata.
    { kind: 'bigkey-begin', db: 0, key: key('X'), rdbType: 19, valueKind: 'stream', expireAtMs: null, offset: 0 },
    { kind: 'bigkey-part', db: 0, key: key('X'), part: { kind: 'stream-entries', entries: xentries.slice(0, 2) } },
    { kind: 'bigkey-part', db: 0, key: key('X'), part: { kind: 'stream', stream: {
      entries: xentries.slice(2), length: 5, lastId: sid(5), firstId: sid(1), maxDeletedEntryId: { ms: 0n, seq: 0n }, entriesAdded: 5, groups: [],
    } } },
    { kind: 'bigkey-end', db: 0, key: key('X'), expireAtMs: null },
  ];
  await b.client().rpush('L', 'stale'); // a previous attempt left something behind
  await writeAll(b, pieces.flatMap((p) => [...bigKeyEntryCommands(p, RESTORE)]));
  const report = await verify(spec(a), spec(b));
  assert.deepEqual(report.firstMismatches, []);
  assert.equal(report.keysCompared, 4);
}));

test('expired keys produce no commands; a big key that expired by its end is deleted', async () => {
  const now = Date.now();
  const e: KeyEntry = {
    kind: 'key', db: 0, key: Buffer.from('gone'), rdbType: 0, valueKind: 'string', expireAtMs: now - 1, idleSeconds: null, freq: null,
    raw: Buffer.from([0x01, 0x61]), decode: () => ({ kind: 'string', value: Buffer.from('a') }), offset: 0,
  };
  assert.equal([...keyEntryCommands(e, RESTORE)].length, 0);
  assert.equal([...keyEntryCommands(e, REWRITE)].length, 0);
  assert.equal([...keyEntryCommands({ ...e, expireAtMs: now + 60_000 }, RESTORE)].length, 1);
  const end = [...bigKeyEntryCommands({ kind: 'bigkey-end', db: 0, key: e.key, expireAtMs: now - 1 }, RESTORE)];
  assert.deepEqual(end.map((c) => decodeCommand(c).map(String)), [['DEL', 'gone']]);
});

test('a resync over an existing list does not duplicate its elements', () => withPair(async (a, b) => {
  await a.client().rpush('L', 'x', 'y', 'z');
  const [e] = await entriesOf(a, ['L']);
  await writeAll(b, keyEntryCommands(e, REWRITE));
  await writeAll(b, keyEntryCommands(e, REWRITE));
  assert.deepEqual(await b.client().lrange('L', 0, -1), ['x', 'y', 'z']);
}));

test('RESTORE carries IDLETIME or FREQ (never both) and ABSTTL only with an expiry', () => {
  const e: KeyEntry = {
    kind: 'key', db: 0, key: Buffer.from('k'), rdbType: 0, valueKind: 'string', expireAtMs: null, idleSeconds: 30, freq: 5,
    raw: Buffer.from([0x01, 0x61]), decode: () => ({ kind: 'string', value: Buffer.from('a') }), offset: 0,
  };
  const args = (x: KeyEntry) => decodeCommand([...keyEntryCommands(x, RESTORE)][0]).map(String);
  const plain = args(e);
  assert.deepEqual([plain[2], ...plain.slice(4)], ['0', 'REPLACE', 'IDLETIME', '30']);
  const lfu = args({ ...e, idleSeconds: null, expireAtMs: Date.now() + 1000 });
  assert.deepEqual(lfu.slice(4), ['REPLACE', 'ABSTTL', 'FREQ', '5']);
  // A 4.0 destination (RDB 8) has neither ABSTTL nor IDLETIME/FREQ: relative TTL.
  const now = Date.now();
  const old = decodeCommand([...keyEntryCommands({ ...e, expireAtMs: now + 5000 }, { sourceRdbVersion: 8, destinationRdbVersion: 8, nowMs: now })][0]).map(String);
  assert.deepEqual([old[2], ...old.slice(4)], ['5000', 'REPLACE']);
});

test('scores keep full precision and infinities use Redis spelling', () => {
  for (const x of [0.1 + 0.2, 1e-300, -1.7976931348623157e308, 5e-324, 123456789.12345679]) assert.equal(Number(formatScore(x)), x);
  assert.equal(formatScore(Infinity), '+inf');
  assert.equal(formatScore(-Infinity), '-inf');
});

test('hash field TTLs become HPEXPIREAT for a 7.4+ destination and are refused for an older one', () => {
  const now = Date.now();
  const e: KeyEntry = {
    kind: 'key', db: 0, key: Buffer.from('h'), rdbType: 25, valueKind: 'hash', expireAtMs: null, idleSeconds: null, freq: null,
    raw: Buffer.alloc(100), offset: 0,
    decode: () => ({
      kind: 'hash',
      fields: [[Buffer.from('a'), Buffer.from('1')], [Buffer.from('b'), Buffer.from('2')], [Buffer.from('old'), Buffer.from('3')], [Buffer.from('c'), Buffer.from('4')]],
      fieldExpireAtMs: [[Buffer.from('a'), now + 5000], [Buffer.from('b'), now + 5000], [Buffer.from('old'), now - 1], [Buffer.from('c'), now + 9000]],
    }),
  };
  const text = [...keyEntryCommands(e, { sourceRdbVersion: 12, destinationRdbVersion: 12, bigKeyBytes: 0, nowMs: now })]
    .map((c) => decodeCommand(c).map(String).join(' '));
  assert.deepEqual(text, ['DEL h', 'HSET h a 1 b 2 c 4', `HPEXPIREAT h ${now + 5000} FIELDS 2 a b`, `HPEXPIREAT h ${now + 9000} FIELDS 1 c`]);
  assert.throws(() => [...keyEntryCommands(e, { sourceRdbVersion: 12, destinationRdbVersion: 10, nowMs: now })], /HPEXPIREAT/);
});
