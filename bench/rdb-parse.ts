// Benchmark: our streaming RDB reader against redis-check-rdb on the same 1M-key mixed dump, in the same run.
// Each parser runs in its own child process under /usr/bin/time -v so peak RSS is the parser's alone.
//   node dist/bench/rdb-parse.js [--keys N] [--big-mib M]
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { startRedis } from '../test/harness/redis';
import { readRdbFileBatches } from '../provider/rdb/file';

interface Run {
  seconds: number;
  maxRssMb: number;
  keys?: number;
}

const repoRoot = resolve(__dirname, '..', '..');

async function pipelined(client: Redis, cmds: Array<Array<string | Buffer>>): Promise<void> {
  for (let i = 0; i < cmds.length; i += 2000) {
    const p = client.pipeline();
    for (const [name, ...args] of cmds.slice(i, i + 2000)) p.call(String(name), ...args);
    const res = await p.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }
}

/** About 70% strings (DEBUG POPULATE), the rest lists, sets (intset and listpack/hashtable), zsets, hashes, streams. */
async function fill(client: Redis, keys: number): Promise<void> {
  const others = Math.floor(keys * 0.3);
  await client.call('DEBUG', 'POPULATE', String(keys - others), 'str', '32');
  const perType = Math.floor(others / 6);
  const batch: Array<Array<string | Buffer>> = [];
  const flush = async (): Promise<void> => { await pipelined(client, batch.splice(0)); };
  for (let i = 0; i < perType; i++) {
    batch.push(['RPUSH', `list:${i}`, 'a', 'bb', String(i), 'dddd', 'e'.repeat(i % 50)]);
    batch.push(['SADD', `iset:${i}`, '1', '2', String(i), '70000']);
    batch.push(['SADD', `set:${i}`, 'x', 'y', `m${i}`]);
    batch.push(['ZADD', `zset:${i}`, '1', 'a', '2.5', 'b', String(i), 'c']);
    batch.push(['HSET', `hash:${i}`, 'f1', 'v1', 'f2', String(i), 'f3', 'v'.repeat(i % 40)]);
    batch.push(['XADD', `stream:${i}`, '*', 'k', String(i), 'v', 'payload']);
    if (batch.length >= 12_000) await flush();
  }
  // A few large collections so hashtable, skiplist and multi-node quicklist records are in the mix too.
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 2000; j += 500) {
      const range = Array.from({ length: 500 }, (_, k) => String(j + k));
      batch.push(['RPUSH', `biglist:${i}`, ...range]);
      batch.push(['HSET', `bighash:${i}`, ...range.flatMap((f) => [`f${f}`, `v${f}`])]);
      batch.push(['ZADD', `bigzset:${i}`, ...range.flatMap((f) => [f, `m${f}`])]);
    }
  }
  await flush();
}

function timed(cmd: string, args: string[]): { run: Run; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const field = (name: string): string => (new RegExp(`${name}: ([^\\n]+)`).exec(r.stderr) ?? ['', '0'])[1].trim();
  const [m, s] = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').slice(-2);
  return { run: { seconds: Number(m) * 60 + Number(s), maxRssMb: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024 }, stdout: r.stdout };
}

/** Child mode: stream the file through the reader (optionally decoding every value) and report. */
async function child(file: string, decode: boolean, bigKeyBytes: number | undefined): Promise<void> {
  const t0 = process.hrtime.bigint();
  let keys = 0;
  for await (const batch of readRdbFileBatches(file, { bigKeyBytes })) {
    for (const e of batch) {
      if (e.kind === 'key') {
        keys++;
        if (decode) e.decode();
      } else if (e.kind === 'bigkey-begin') keys++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ keys, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function ours(file: string, decode: boolean, bigKeyBytes?: number): Run & { innerSeconds: number } {
  const extra = [...(decode ? ['--decode'] : []), ...(bigKeyBytes ? ['--big-key-bytes', String(bigKeyBytes)] : [])];
  const { run, stdout } = timed(process.execPath, [__filename, '--child', file, ...extra]);
  const inner = JSON.parse(stdout) as { keys: number; seconds: number };
  return { ...run, keys: inner.keys, innerSeconds: inner.seconds };
}

function report(label: string, r: Run, bytes: number, keys: number): void {
  const mb = bytes / 1024 / 1024;
  console.log(`${label.padEnd(28)} ${r.seconds.toFixed(2).padStart(6)} s  ${(mb / r.seconds).toFixed(1).padStart(7)} MB/s  ${Math.round(keys / r.seconds).toLocaleString('en').padStart(10)} keys/s  peak RSS ${r.maxRssMb.toFixed(0)} MB`);
}

async function bigKeyPhase(client: Redis, dir: string, mib: number): Promise<Record<string, unknown>> {
  // Random bytes: LZF cannot shrink them, so the record really is that big in the file.
  for (let done = 0; done < mib * 1024; done += 5000) {
    const cmds: Array<Array<string | Buffer>> = [];
    for (let j = done; j < Math.min(done + 5000, mib * 1024); j += 1000) {
      cmds.push(['RPUSH', 'bench:biglist', ...Array.from({ length: 1000 }, () => randomBytes(1024))]);
    }
    await pipelined(client, cmds);
  }
  await client.call('SAVE');
  const file = join(dir, 'dump.rdb');
  const bytes = statSync(file).size;
  const r = ours(file, false);
  report(`ours, +${mib} MiB list`, r, bytes, r.keys ?? 0);
  const small = ours(file, false, 16 * 1024 * 1024);
  report(`ours, +${mib} MiB, bigKey 16M`, small, bytes, small.keys ?? 0);
  const check = timed('redis-check-rdb', [file]).run;
  report(`redis-check-rdb, +${mib} MiB`, check, bytes, r.keys ?? 0);
  return { fileBytes: bytes, bigListMiB: mib, ours: r, oursBigKeyBytes16MiB: small, redisCheckRdb: check };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      child: { type: 'boolean' }, decode: { type: 'boolean' }, keys: { type: 'string' }, 'big-mib': { type: 'string' },
      'big-key-bytes': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.child) {
    const big = values['big-key-bytes'];
    return child(positionals[0], values.decode ?? false, big === undefined ? undefined : Number(big));
  }
  const keys = Number(values.keys ?? 1_000_000);
  const bigMib = Number(values['big-mib'] ?? 200);
  const server = await startRedis({ config: { 'rdbcompression': 'yes' } });
  try {
    const client = server.client();
    const tFill = Date.now();
    await fill(client, keys);
    await client.call('SAVE');
    const dbsize = Number(await client.call('DBSIZE'));
    const file = join(server.dir, 'dump.rdb');
    const bytes = statSync(file).size;
    const redisVersion = execFileSync('redis-check-rdb', ['--version'], { encoding: 'utf8' }).trim();
    console.log(`dump.rdb: ${dbsize.toLocaleString('en')} keys, ${(bytes / 1024 / 1024).toFixed(1)} MB (filled in ${((Date.now() - tFill) / 1000).toFixed(1)} s)`);
    const check = timed('redis-check-rdb', [file]).run;
    const parse = ours(file, false);
    const decode = ours(file, true);
    report('redis-check-rdb', check, bytes, dbsize);
    report('ours (raw entries)', parse, bytes, dbsize);
    report('ours (decode every value)', decode, bytes, dbsize);
    if (parse.keys !== dbsize) throw new Error(`reader saw ${parse.keys} keys, DBSIZE is ${dbsize}`);
    const ratio = parse.seconds / check.seconds;
    console.log(`ratio ours/redis-check-rdb: ${ratio.toFixed(2)}x (goal <= 2x); decode-all ratio ${(decode.seconds / check.seconds).toFixed(2)}x`);
    const big = bigMib > 0 ? await bigKeyPhase(client, server.dir, bigMib) : null;
    const result = {
      date: new Date().toISOString(), node: process.version, redis: redisVersion, keys: dbsize, fileBytes: bytes,
      redisCheckRdb: check, ours: parse, oursDecode: decode, ratio, decodeRatio: decode.seconds / check.seconds, bigKey: big,
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'rdb-parse.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
