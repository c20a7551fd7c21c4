// `redis-sync rdb dump FILE [--keys-only] [--stats]`: an RDB file's dataset as the canonical JSON of the RDB
// fixtures (one key record per line), so a snapshot can be inspected or diffed against another tool's view.
import { parseArgs } from 'node:util';
import { CanonicalBuilder, formatDataset } from '../rdb/canonical';
import type { RdbEntry } from '../rdb/entry';
import { RdbError } from '../rdb/errors';
import { readRdbFileBatches } from '../rdb/file';

const USAGE = 'usage: redis-sync rdb dump FILE [--keys-only] [--stats]';

interface DumpStats {
  keyRecords: number;
  bigKeys: number;
  byType: Record<string, number>;
  byDb: Record<string, number>;
  warnings: number;
  bytes: number;
  seconds: number;
}

export async function rdbDumpCommand(argv: string[]): Promise<number> {
  let file: string;
  let keysOnly: boolean;
  let stats: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { 'keys-only': { type: 'boolean', default: false }, stats: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new Error('exactly one FILE is required: redis-sync rdb dump FILE [--keys-only] [--stats]');
    file = positionals[0];
    keysOnly = values['keys-only'] ?? false;
    stats = values.stats ?? false;
  } catch (err) {
    process.stderr.write(`redis-sync rdb dump: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const { text, summary } = await dumpFile(file, keysOnly);
    process.stdout.write(text);
    if (stats) process.stderr.write(formatStats(summary));
    return 0;
  } catch (err) {
    const msg = err instanceof RdbError ? err.message : `cannot read ${file}: ${(err as Error).message}`;
    process.stderr.write(`redis-sync rdb dump: ${msg}\n`);
    return 1;
  }
}

export async function dumpFile(file: string, keysOnly: boolean): Promise<{ text: string; summary: DumpStats }> {
  const started = process.hrtime.bigint();
  const builder = new CanonicalBuilder();
  builder.keysOnly = keysOnly;
  const s: DumpStats = { keyRecords: 0, bigKeys: 0, byType: {}, byDb: {}, warnings: 0, bytes: 0, seconds: 0 };
  for await (const batch of readRdbFileBatches(file)) {
    for (const e of batch) {
      tally(s, e);
      builder.add(e);
    }
  }
  s.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { text: formatDataset(builder.result()), summary: s };
}

function tally(s: DumpStats, e: RdbEntry): void {
  switch (e.kind) {
    case 'key':
    case 'bigkey-begin':
      s.keyRecords++;
      if (e.kind === 'bigkey-begin') s.bigKeys++;
      s.byType[e.valueKind] = (s.byType[e.valueKind] ?? 0) + 1;
      s.byDb[String(e.db)] = (s.byDb[String(e.db)] ?? 0) + 1;
      break;
    case 'warning':
      s.warnings++;
      process.stderr.write(`warning at byte offset ${e.offset}: ${e.message}\n`);
      break;
    case 'eof':
      s.bytes = e.offset + 1 + (e.checksum?.length ?? 0);
      break;
    default:
      break;
  }
}

function formatStats(s: DumpStats): string {
  const types = Object.entries(s.byType).map(([t, n]) => `${t}=${n}`).join(' ');
  const dbs = Object.entries(s.byDb).map(([d, n]) => `db${d}=${n}`).join(' ');
  return [
    `key records: ${s.keyRecords} (${s.bigKeys} big keys)`,
    `by type: ${types || '-'}`,
    `by database: ${dbs || '-'}`,
    `warnings: ${s.warnings}`,
    `bytes: ${s.bytes} in ${s.seconds.toFixed(3)} s`,
    '',
  ].join('\n');
}
