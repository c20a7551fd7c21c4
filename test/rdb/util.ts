// Helpers shared by the RDB reader tests: where the fixtures live (test/fixtures/rdb, in the repository, so a fresh
// clone tests alone), and feeding bytes to the reader.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RdbReader, type RdbReaderOptions } from '../../provider/rdb/reader';
import type { RdbEntry } from '../../provider/rdb/entry';
import { CanonicalBuilder, type CanonicalDataset } from '../../provider/rdb/canonical';

export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'provider'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no repository root above ${__dirname}`);
}

/** The RDB fixtures: the in-repo copy (provenance in its README.md and MANIFEST.json). */
export const fixturesDir = (): string => join(repoRoot(), 'test', 'fixtures', 'rdb');

export interface ManifestEntry {
  file: string;
  rdb_version: number;
  magic?: string;
  redis_ver_aux: string | null;
  expected_json: string | null;
  expected_json_note?: string;
  expected_json_oracle?: string;
  note?: string;
  scan?: { keys?: number; scan_stopped?: string; value_type_ids?: number[]; value_types?: Record<string, number>; opcodes?: Record<string, number> };
}

export function manifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(join(fixturesDir(), 'MANIFEST.json'), 'utf8')) as { files: ManifestEntry[] }).files;
}

export function expectedDataset(m: ManifestEntry): CanonicalDataset & { oracle?: string } {
  const p = join(fixturesDir(), dirname(m.file), m.expected_json as string);
  const text = p.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString('utf8') : readFileSync(p, 'utf8');
  return JSON.parse(text) as CanonicalDataset & { oracle?: string };
}

/** Feeds data to a reader in chunks whose sizes come from next(); returns every entry including end()'s. */
export function parseChunked(data: Buffer, opts: RdbReaderOptions, next: () => number): { entries: RdbEntry[]; reader: RdbReader } {
  const reader = new RdbReader(opts);
  const entries: RdbEntry[] = [];
  for (let p = 0; p < data.length;) {
    const n = Math.max(1, next());
    for (const e of reader.push(data.subarray(p, p + n))) entries.push(e);
    p += n;
  }
  for (const e of reader.end()) entries.push(e);
  return { entries, reader };
}

export function parseWhole(data: Buffer, opts: RdbReaderOptions = {}): { entries: RdbEntry[]; reader: RdbReader } {
  return parseChunked(data, opts, () => data.length);
}

export function canonical(entries: RdbEntry[]): CanonicalDataset {
  const b = new CanonicalBuilder();
  for (const e of entries) b.add(e);
  return b.result();
}

export { prng } from '../harness/dataset';
