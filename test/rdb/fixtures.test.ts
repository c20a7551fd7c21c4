// Every fixture in test/fixtures/rdb/MANIFEST.json: datasets must match Redis's view exactly; the rest must fail cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RdbError } from '../../provider/rdb/errors';
import type { RdbEntry } from '../../provider/rdb/entry';
import { canonical, expectedDataset, fixturesDir, manifest, parseChunked, parseWhole, prng, type ManifestEntry } from './util';

interface Outcome {
  entries: RdbEntry[];
  version: number;
  error: RdbError | null;
}

function parseFixture(m: ManifestEntry): Outcome {
  const data = readFileSync(join(fixturesDir(), m.file));
  try {
    const { entries, reader } = parseWhole(data);
    return { entries, version: reader.rdbVersion, error: null };
  } catch (e) {
    if (!(e instanceof RdbError)) throw e;
    return { entries: [], version: 0, error: e };
  }
}

function redisVer(entries: RdbEntry[]): string | null {
  for (const e of entries) if (e.kind === 'aux' && e.name.toString() === 'redis-ver') return e.value.toString();
  return null;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'string', 1: 'list_linkedlist', 2: 'set_hashtable', 3: 'zset_skiplist_strscore', 4: 'hash_hashtable',
  5: 'zset2_skiplist_binscore', 6: 'module_pre_ga', 7: 'module2', 9: 'hash_zipmap', 10: 'list_ziplist', 11: 'set_intset',
  12: 'zset_ziplist', 13: 'hash_ziplist', 14: 'list_quicklist', 15: 'stream_listpacks_v1', 16: 'hash_listpack',
  17: 'zset_listpack', 18: 'list_quicklist2', 19: 'stream_listpacks_v2', 20: 'set_listpack', 21: 'stream_listpacks_v3',
  22: 'hash_metadata_pre_ga', 23: 'hash_listpack_ex_pre_ga', 24: 'hash_metadata', 25: 'hash_listpack_ex',
};

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function valueTypes(entries: RdbEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) if (e.kind === 'key') bump(out, TYPE_NAMES[e.rdbType] ?? String(e.rdbType));
  return out;
}

/** The scan's opcode counts, with the two expire opcodes and the two function opcodes each counted as one. */
function scanOpcodes(scan: Record<string, number>): Record<string, number> {
  const alias: Record<string, string> = { EXPIRETIME: 'EXPIRE', EXPIRETIME_MS: 'EXPIRE', FUNCTION2: 'FUNCTION', FUNCTION_PRE_GA: 'FUNCTION' };
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(scan)) out[alias[k] ?? k] = (out[alias[k] ?? k] ?? 0) + n;
  return out;
}

/** Opcode counts; expire/idle/freq are seen through the key entries they annotate. */
function opcodes(entries: RdbEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  const names: Partial<Record<RdbEntry['kind'], string>> = {
    aux: 'AUX', selectdb: 'SELECTDB', resizedb: 'RESIZEDB', eof: 'EOF', 'module-aux': 'MODULE_AUX', 'slot-info': 'SLOT_INFO',
  };
  for (const e of entries) {
    const name = names[e.kind];
    if (name) bump(out, name);
    if (e.kind === 'function') bump(out, 'FUNCTION');
    if (e.kind !== 'key') continue;
    if (e.expireAtMs !== null) bump(out, 'EXPIRE');
    if (e.idleSeconds !== null) bump(out, 'IDLE');
    if (e.freq !== null) bump(out, 'FREQ');
  }
  return out;
}

const counts = { matched: 0, failedCleanly: 0, reportedUnsupported: 0 };

function checkDataset(m: ManifestEntry): void {
  const out = parseFixture(m);
  const expected = expectedDataset(m);
  delete expected.oracle;
  if (m.scan?.value_type_ids?.includes(6)) {
    // Pre-GA module values have no end marker: the reader must stop there, naming the key.
    assert.ok(out.error, `${m.file}: expected an RdbError at the type-6 module value`);
    assert.match(out.error.expected, /type 6/);
    assert.ok(out.error.key, 'the error names the key');
    counts.failedCleanly++;
    return;
  }
  if (out.error) throw out.error;
  assert.equal(out.version, m.rdb_version, `${m.file}: rdb version`);
  assert.equal(redisVer(out.entries), m.redis_ver_aux, `${m.file}: redis-ver aux`);
  if (m.scan?.keys !== undefined && !m.scan.scan_stopped) {
    assert.equal(out.entries.filter((e) => e.kind === 'key').length, m.scan.keys, `${m.file}: key records`);
    assert.deepStrictEqual(valueTypes(out.entries), m.scan.value_types ?? {}, `${m.file}: value types`);
    assert.deepStrictEqual(opcodes(out.entries), scanOpcodes(m.scan.opcodes ?? {}), `${m.file}: opcodes`);
  }
  const want = JSON.parse(JSON.stringify(canonical(out.entries))) as unknown;
  assert.deepStrictEqual(want, expected, `${m.file}: dataset`);
  checkStreamed(m, want);
  counts.matched++;
}

/** The same dataset when the bytes come in small random chunks and every collection is a big key. */
function checkStreamed(m: ManifestEntry, want: unknown): void {
  const data = readFileSync(join(fixturesDir(), m.file));
  const rnd = prng(data.length);
  const maxChunk = data.length > 1 << 20 ? 65536 : 13;
  const { entries } = parseChunked(data, { bigKeyBytes: 64 }, () => 1 + Math.floor(rnd() * maxChunk));
  assert.deepStrictEqual(JSON.parse(JSON.stringify(canonical(entries))), want, `${m.file}: dataset when streamed in chunks with bigKeyBytes 64`);
}

function checkUnloadable(m: ManifestEntry): void {
  const out = parseFixture(m);
  let error = out.error;
  if (!error) {
    try {
      canonical(out.entries);
    } catch (e) {
      if (!(e instanceof RdbError)) throw e;
      error = e;
    }
  }
  const why = `${m.expected_json_note ?? ''} ${m.note ?? ''}`;
  if (error) {
    assert.ok(error.offset >= 0 && error.expected.length > 0);
    if (/checksum/i.test(why)) assert.match(error.expected, /CRC-64/);
    if (/version|magic/i.test(why)) assert.match(error.expected, /version|magic/);
    counts.failedCleanly++;
    return;
  }
  const reported = out.entries.filter((e) => e.kind === 'warning' || e.kind === 'module-aux');
  assert.ok(reported.length > 0, `${m.file}: parsed without an error or a report of the unsupported part`);
  assert.match(why, /module/i, `${m.file}: only module data may be reported instead of failing`);
  counts.reportedUnsupported++;
}

const entries = manifest();

test('MANIFEST covers the fixture set', () => {
  assert.ok(entries.length >= 100, `only ${entries.length} fixtures`);
});

for (const m of entries) {
  test(`fixture ${m.file}`, () => (m.expected_json ? checkDataset(m) : checkUnloadable(m)));
}

test('fixture counts', () => {
  const total = counts.matched + counts.failedCleanly + counts.reportedUnsupported;
  console.log(`fixtures: ${entries.length}, datasets matched: ${counts.matched}, failed cleanly: ${counts.failedCleanly}, reported unsupported: ${counts.reportedUnsupported}`);
  assert.equal(total, entries.length);
});
