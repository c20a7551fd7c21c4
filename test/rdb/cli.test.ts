// `redis-sync rdb dump`: same text as the fixture datasets, clean errors with exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from './util';

function dump(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `require(${JSON.stringify(join(repoRoot(), 'dist', 'provider', 'cli', 'rdb-dump.js'))})` +
    '.rdbDumpCommand(process.argv.slice(1)).then((c) => { process.exitCode = c; })';
  const r = spawnSync(process.execPath, ['-e', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The fixture text without its "oracle" line, which says which server made it. */
function expectedText(file: string): string {
  return readFileSync(`${file}.expected.json`, 'utf8').replace(/,\n "oracle": [^\n]*\n}\n$/, '\n}\n');
}

for (const name of ['redis-rdb-tools/redis_50_with_streams.rdb', 'redis-rdb-tools/multiple_databases.rdb', 'hdt3213-rdb/function.rdb', 'dragonfly/empty.rdb']) {
  test(`rdb dump ${name} prints the fixture's dataset text`, () => {
    const file = join(fixturesDir(), name);
    const r = dump([file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expectedText(file));
  });
}

test('rdb dump --keys-only --stats', () => {
  const r = dump([join(fixturesDir(), 'redis-rdb-tools/redis_50_with_streams.rdb'), '--keys-only', '--stats']);
  assert.equal(r.status, 0, r.stderr);
  const ds = JSON.parse(r.stdout) as { databases: Record<string, Array<{ value: unknown }>> };
  assert.equal(ds.databases['0'].length, 14);
  assert.ok(ds.databases['0'].every((rec) => rec.value === null));
  assert.match(r.stderr, /key records: 14/);
});

test('rdb dump reports corrupt files and bad usage on stderr', () => {
  const bad = dump([join(fixturesDir(), 'librdb/invalid_chksum_v8.rdb')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /byte offset \d+: expected the CRC-64 trailer/);
  assert.equal(bad.stdout, '');
  const missing = dump([join(fixturesDir(), 'no-such-file.rdb')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read/);
  assert.equal(dump([]).status, 2);
});
