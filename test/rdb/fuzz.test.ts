// Bounded fuzzing: truncated and mutated fixtures must parse or fail with an RdbError, never another exception,
// never hang. Fixed seed, fixed case count and a time budget, so a run is repeatable and cannot run away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RdbError } from '../../provider/rdb/errors';
import { canonical, fixturesDir, manifest, parseChunked, prng } from './util';

const CASES = 10_000;
const BUDGET_MS = 60_000;
const MAX_FIXTURE_BYTES = 64 * 1024;
const MAX_CASE_MS = 2_000;

type Rand = () => number;

function mutate(src: Buffer, rnd: Rand): Buffer {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const kind = pick(4);
  if (kind === 0) return src.subarray(0, pick(src.length)); // truncation
  const out = Buffer.from(src);
  if (kind === 1) {
    for (let i = 0, n = 1 + pick(4); i < n; i++) out[9 + pick(out.length - 9)] = pick(256); // random bytes past the header
    return out;
  }
  if (kind === 2) {
    const at = 9 + pick(out.length - 9);
    out[at] = [0x00, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff][pick(10)]; // length-encoding edge values
    return out;
  }
  const at = pick(out.length);
  return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256))), out.subarray(at)]);
}

test('truncated and mutated fixtures fail only with RdbError', { timeout: BUDGET_MS * 2 }, () => {
  const files = manifest()
    .map((m) => join(fixturesDir(), m.file))
    .filter((f) => statSync(f).size <= MAX_FIXTURE_BYTES)
    .map((f) => readFileSync(f))
    .filter((b) => b.length > 10);
  assert.ok(files.length > 50);
  const rnd = prng(20261125);
  const started = Date.now();
  const tally = { cases: 0, parsed: 0, rdbErrors: 0 };
  for (let i = 0; i < CASES && Date.now() - started < BUDGET_MS; i++) {
    const input = mutate(files[Math.floor(rnd() * files.length)], rnd);
    const verifyChecksum = rnd() < 0.3;
    const bigKeyBytes = rnd() < 0.3 ? 64 : undefined;
    const chunk = rnd() < 0.5 ? input.length : 1 + Math.floor(rnd() * 64);
    const t0 = Date.now();
    try {
      const { entries } = parseChunked(input, { verifyChecksum, bigKeyBytes }, () => chunk);
      canonical(entries);
      tally.parsed++;
    } catch (e) {
      if (!(e instanceof RdbError)) {
        assert.fail(`case ${i}: ${e instanceof Error ? `${e.name}: ${e.stack}` : String(e)} for input ${input.toString('base64')}`);
      }
      assert.ok(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= input.length + 1, `case ${i}: offset ${e.offset} of ${input.length}`);
      // The reader turns stray TypeErrors/RangeErrors into RdbErrors too; those mean a missing bounds check.
      assert.doesNotMatch(e.expected, /^(well-formed data|a decodable value) \(/, `case ${i}: ${e.message}`);
      tally.rdbErrors++;
    }
    assert.ok(Date.now() - t0 < MAX_CASE_MS, `case ${i} took ${Date.now() - t0} ms`);
    tally.cases++;
  }
  console.log(`fuzz: ${tally.cases} cases in ${Date.now() - started} ms: ${tally.parsed} parsed, ${tally.rdbErrors} RdbError`);
  assert.ok(tally.cases >= 500, 'the time budget ran out before a useful number of cases');
});

test('every strict prefix of a fixture is reported as truncated by end()', { timeout: 60_000 }, () => {
  const data = readFileSync(join(fixturesDir(), 'redis-rdb-tools', 'redis_50_with_streams.rdb'));
  for (let n = 0; n < data.length; n++) {
    assert.throws(() => parseChunked(data.subarray(0, n), {}, () => 3), (e: unknown) => e instanceof RdbError && /ended|expected/.test(e.message));
  }
  assert.throws(() => parseChunked(Buffer.concat([data, Buffer.from([0])]), {}, () => 5), RdbError, 'bytes after the checksum');
});
