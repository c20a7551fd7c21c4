// What the reader reports for foreign, corrupt and unsupported input: offset, key and what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Crc64 } from '../../provider/rdb/crc64';
import { RdbError } from '../../provider/rdb/errors';
import { readRdbFile } from '../../provider/rdb/file';
import { RdbReader } from '../../provider/rdb/reader';
import type { RdbEntry } from '../../provider/rdb/entry';
import { canonical, fixturesDir, parseWhole } from './util';

const str = (s: string | Buffer): Buffer => {
  const b = Buffer.from(s);
  assert.ok(b.length < 64);
  return Buffer.concat([Buffer.from([b.length]), b]);
};

/** A version-10 RDB with the given records and a correct CRC-64 trailer. */
function rdb(...records: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('REDIS0010'), ...records, Buffer.from([0xff])]);
  return Buffer.concat([body, new Crc64().update(body).digestLE()]);
}

function parseError(data: Buffer): RdbError {
  try {
    parseWhole(data);
  } catch (e) {
    assert.ok(e instanceof RdbError, `expected RdbError, got ${String(e)}`);
    return e;
  }
  assert.fail('parsed without error');
}

const SELECT0 = Buffer.from([0xfe, 0x00]);

test('a well-formed synthetic file parses, with expire and db', () => {
  const expire = Buffer.alloc(9);
  expire[0] = 0xfc;
  expire.writeBigInt64LE(1700000000123n, 1);
  const { entries, reader } = parseWhole(rdb(SELECT0, expire, Buffer.from([0]), str('k'), str('v')));
  assert.equal(reader.rdbVersion, 10);
  assert.ok(reader.done);
  assert.equal(reader.offset, 9 + 2 + 9 + 1 + 2 + 2 + 1 + 8);
  assert.deepStrictEqual(canonical(entries), { databases: { 0: [{ key: 'k', type: 'string', expire_at_ms: 1700000000123, value: 'v' }] } });
  const key = entries.find((e) => e.kind === 'key');
  assert.equal(key?.kind === 'key' ? key.offset : -1, 11, 'a key record starts at its first opcode');
});

test('unknown magic and versions are refused at the header', () => {
  assert.match(parseError(Buffer.from('VALKEY080\xff')).expected, /magic "REDIS"/);
  const future = parseError(Buffer.from('REDIS0013\xff'));
  assert.match(future.expected, /RDB version from 1 to 12/);
  assert.equal(future.offset, 5);
  assert.match(parseError(Buffer.from('REDIS0000\xff')).expected, /version/);
});

test('an unknown opcode or type names its offset', () => {
  const e = parseError(rdb(SELECT0, Buffer.from([107, 0x01])));
  assert.equal(e.offset, 11);
  assert.match(e.expected, /known record opcode or value type \(got 107\)/);
});

test('a CRC mismatch is reported at the trailer; a zero trailer disables the check', () => {
  const good = rdb(SELECT0, Buffer.from([0]), str('k'), str('v'));
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 1;
  const e = parseError(bad);
  assert.equal(e.offset, good.length - 8);
  assert.match(e.expected, /CRC-64/);
  assert.doesNotThrow(() => parseWhole(bad, { verifyChecksum: false }));
  bad.fill(0, bad.length - 8);
  assert.doesNotThrow(() => parseWhole(bad));
});

test('bytes after the end are an error, in the same chunk or a later one', () => {
  const good = rdb(SELECT0);
  assert.match(parseError(Buffer.concat([good, Buffer.from('x')])).expected, /no bytes after the end/);
  const r = new RdbReader();
  r.push(good);
  assert.ok(r.done);
  assert.throws(() => r.push(Buffer.from('x')), RdbError);
});

test('truncation is reported by end() with the key being read', () => {
  const data = rdb(SELECT0, Buffer.from([1]), str('mylist'), Buffer.from([2]), str('a'), str('b'));
  const cut = data.subarray(0, data.length - 12);
  const r = new RdbReader();
  r.push(cut);
  const e = (() => { try { r.end(); } catch (err) { return err; } return null; })();
  assert.ok(e instanceof RdbError);
  assert.equal(e.key?.toString(), 'mylist');
  assert.match(e.message, /input ended/);
});

test('a corrupt value names the key: a length encoding that does not exist', () => {
  const e = parseError(rdb(SELECT0, Buffer.from([0]), str('k1'), Buffer.from([0x82])));
  assert.equal(e.key?.toString(), 'k1');
  assert.equal(e.offset, 9 + 2 + 1 + 3);
  assert.match(e.expected, /not a length encoding/);
});

test('huge declared lengths do not allocate: they wait for bytes and then fail as truncated', () => {
  const lzfBomb = Buffer.from([0xc3, 0x01, 0x80, 0x7f, 0xff, 0xff, 0xff, 0x00]);
  assert.match(parseError(rdb(SELECT0, Buffer.from([0]), str('k'), lzfBomb)).expected, /LZF lengths/);
  const huge = Buffer.from([0x80, 0xff, 0xff, 0xff, 0xf0]);
  assert.match(parseError(rdb(SELECT0, Buffer.from([0]), str('k'), huge)).message, /ended|short/);
});

test('type 7 module values are kept raw with a warning naming key and module; type 6 stops the parse', () => {
  const { entries } = parseWhole(readFileSync(join(fixturesDir(), 'redis-replicator', 'dump-module-2.rdb')));
  const w = entries.find((e): e is Extract<RdbEntry, { kind: 'warning' }> => e.kind === 'warning');
  assert.ok(w);
  assert.equal(w.key?.toString(), 'modulekey');
  assert.match(w.message, /hellotype/);
  const six = parseError(readFileSync(join(fixturesDir(), 'redis-replicator', 'module.rdb')));
  assert.match(six.expected, /type 6/);
  assert.ok(six.key && six.key.length > 0);
});

test('decode() of a corrupt blob throws an RdbError naming the key', () => {
  const { entries } = parseWhole(readFileSync(join(fixturesDir(), 'redis', 'corrupt_ziplist.rdb')));
  const bad = entries.filter((e) => e.kind === 'key').map((e) => {
    try { if (e.kind === 'key') e.decode(); return null; } catch (err) { return err; }
  }).filter((x) => x !== null);
  assert.equal(bad.length, 1);
  assert.ok(bad[0] instanceof RdbError && bad[0].key !== null);
});

test('readRdbFile yields the same entries as push()', async () => {
  const file = join(fixturesDir(), 'redis-rdb-tools', 'redis_50_with_streams.rdb');
  const got: RdbEntry[] = [];
  for await (const e of readRdbFile(file)) got.push(e);
  assert.deepStrictEqual(got, parseWhole(readFileSync(file)).entries);
});
