// The verify oracle: walks every key of the source (SCAN on each master, masters in parallel), compares it with the
// destination type-, TTL- and value-wise in pipelined batches, then walks the destination for keys the source lacks.
// What differs in that first pass is rechecked under WATCH once the destination has applied the source's offset
// (settle.ts), so writes in flight are not reported; with repair, what still differs is copied again (repair.ts).
import type { EndpointSpec } from '../spec/types';
import { EndpointReader } from './endpoint-reader';
import { readStates, readExists } from './key-state';
import { keyDiffs, summarize } from './key-diff';
import { Tally, type VerifyReport } from './report';
import { asArray, asBuffer, asNumber, type Call } from './redis-calls';
import type { RespClient } from './resp-client';
import { valueForm } from './value-form';
import { settle, type Difference } from './settle';
import { openTaskProgress } from './task-progress';
import type { KeyGroup, WatchContext } from './watched-read';
import { repairDifferences } from './repair';

export interface VerifyProgress {
  phase: 'compare' | 'extra' | 'repair';
  keysCompared: number;
  /** Source keys to compare (sampled share included); null until counted. */
  keysExpected: number | null;
}
import type { KeyFilter } from '../filter/key-filter';

export interface VerifyOptions {
  /** Source databases to compare; default: every db with keys on either side (db 0 only for a cluster source). */
  databases?: number[];
  /** The destination db a source db is copied to; default: the same db (db 0 for a cluster destination). */
  mapDb?: (sourceDb: number) => number;
  /** Largest PTTL difference not reported: both sides are read a few ms apart and expire at the same absolute time. */
  ttlToleranceMs?: number;
  /** How many mismatches the report lists (all are counted). */
  maxMismatches?: number;
  ignoreKeys?: (key: Buffer) => boolean;
  /** keyFilter and keyRenames: only the source keys it wants are compared, each with its destination name. */
  keys?: KeyFilter;
  /** Keys per SCAN COUNT and per compare batch. */
  batchKeys?: number;
  /** Batches compared at once. */
  concurrency?: number;
  /** The task writing into the destination: differences are rechecked once it applied the source's offset. */
  taskId?: string;
  /** Longest wait for the destination to apply an offset (default 30 s). */
  applyTimeoutMs?: number;
  /** A share of the keys (0 < x <= 1) or about that many keys (x > 1), picked at random; default every key. */
  sample?: number;
  /** Copy every differing key again from the source, fenced against the task's writes, and recheck it. */
  repair?: boolean;
  onProgress?: (p: VerifyProgress) => void;
}

export const DEFAULT_TTL_TOLERANCE_MS = 1000;

interface Run {
  ctx: WatchContext;
  opts: VerifyOptions;
  tally: Tally;
  fraction: number;
  limit: number;
  expected: number | null;
  differences: Difference[];
}

export async function verify(source: EndpointSpec, destination: EndpointSpec, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const tally = new Tally(opts.maxMismatches ?? 100);
  const readers: EndpointReader[] = [];
  try {
    const src = await EndpointReader.open(source, 'source');
    readers.push(src);
    const dst = await EndpointReader.open(destination, 'destination');
    readers.push(dst);
    const [hs, hd, ss, ds] = await Promise.all([src.hasCommand('HPEXPIRETIME'), dst.hasCommand('HPEXPIRETIME'), src.server(), dst.server()]);
    const mapDb = opts.mapDb ?? (dst.isCluster ? () => 0 : (db: number) => db);
    const progress = opts.taskId ? await openTaskProgress(src, dst, opts.taskId, dst.isCluster ? 0 : mapDb(opts.databases?.[0] ?? 0)) : null;
    const keys = opts.keys?.renames ? opts.keys : null;
    const destinationKey = keys ? (db: number, k: Buffer) => keys.rename(db, k) : (_db: number, k: Buffer) => k;
    const ctx: WatchContext = { source: src, destination: dst, progress, form: valueForm(ss, ds, hs && hd), applyTimeoutMs: opts.applyTimeoutMs ?? 30_000, destinationKey };
    const dbs = await databases(ctx, opts);
    const run: Run = { ctx, opts, tally, fraction: 1, limit: Infinity, expected: null, differences: [] };
    await planSample(run, dbs);
    tally.report.online = progress !== null;
    tally.report.sampled = opts.sample === undefined ? null : run.fraction;
    const targets = new Map<number, number[]>();
    for (const db of dbs) {
      await compareDb(run, db, mapDb(db));
      targets.set(mapDb(db), [...(targets.get(mapDb(db)) ?? []), db]);
    }
    for (const [dstDb, srcDbs] of targets) await findExtraInDb(run, dstDb, srcDbs);
    if (opts.repair && run.differences.length > 0) {
      opts.onProgress?.({ phase: 'repair', keysCompared: tally.report.keysCompared, keysExpected: run.expected });
      tally.report.repair = await repairDifferences(ctx, run.differences, opts.ttlToleranceMs ?? DEFAULT_TTL_TOLERANCE_MS, opts.maxMismatches ?? 100);
    }
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
  tally.report.durationMs = Date.now() - started;
  return tally.report;
}

async function databases(ctx: WatchContext, opts: VerifyOptions): Promise<number[]> {
  if (ctx.source.isCluster) return [0];
  if (opts.databases) return opts.databases;
  const a = await ctx.source.databasesWithKeys();
  // Without a mapping, a destination db the source lacks entirely is compared too (all its keys are extra).
  const b = opts.mapDb || ctx.destination.isCluster ? [] : await ctx.destination.databasesWithKeys();
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** The share of keys to keep and, for a number of keys, when to stop; counts the source's keys for the progress. */
async function planSample(run: Run, dbs: number[]): Promise<void> {
  let total = 0;
  for (const node of run.ctx.source.masters) {
    for (const db of dbs) total += asNumber(await (await run.ctx.source.client(node, db)).call('DBSIZE'));
  }
  const s = run.opts.sample;
  if (s !== undefined && s > 1) {
    run.fraction = total === 0 ? 1 : Math.min(1, s / total);
    run.limit = s;
  } else if (s !== undefined && s > 0) run.fraction = Math.min(1, s);
  run.expected = Math.min(run.limit, Math.round(total * run.fraction));
}

function progress(run: Run, phase: VerifyProgress['phase']): void {
  run.opts.onProgress?.({ phase, keysCompared: run.tally.report.keysCompared, keysExpected: run.expected });
}

/**
 * Source keys are compared as SCAN returns them and destination keys are checked with EXISTS on the source,
 * rather than remembering the source's keys: memory stays flat and a 1M-key Set cost more in GC than the EXISTS
 * pass (26 s vs 17 s for 1M keys). A key SCAN returns twice (only if the table is resized mid-walk) is compared twice.
 */
async function compareDb(run: Run, srcDb: number, dstDb: number): Promise<void> {
  const pool = new BatchPool(run.opts.concurrency ?? 16);
  const filter = run.opts.keys && !run.opts.keys.identity ? run.opts.keys : null;
  await scanAll(run, run.ctx.source, srcDb, pool, (page) => {
    const keys = filter ? page.filter((k) => filter.wants(srcDb, k)) : page;
    return keys.length ? compareBatch(run, srcDb, dstDb, keys) : Promise.resolve();
  }, 'compare');
}

/** Destination keys of dstDb found in none of the source dbs copied into it. */
async function findExtraInDb(run: Run, dstDb: number, srcDbs: number[]): Promise<void> {
  const pool = new BatchPool(run.opts.concurrency ?? 16);
  await scanAll(run, run.ctx.destination, dstDb, pool, (keys) => findExtra(run, dstDb, srcDbs, keys), 'extra');
}

/**
 * Runs onBatch on each SCAN page (ignored and unsampled keys removed) of every master of the endpoint, in parallel.
 * A small sample is drawn with RANDOMKEY instead: walking a whole keyspace to keep 10,000 of 1M keys took 21 s.
 */
async function scanAll(run: Run, reader: EndpointReader, db: number, pool: BatchPool, onBatch: (keys: Buffer[]) => Promise<void>, phase: VerifyProgress['phase']): Promise<void> {
  const count = run.opts.batchKeys ?? 1000;
  await Promise.all(reader.masters.map(async (node) => {
    const client = await reader.client(node, db);
    const size = run.fraction <= RANDOM_SAMPLE_MAX_SHARE ? asNumber(await client.call('DBSIZE')) : 0;
    if (size > 0 && size * run.fraction <= RANDOM_SAMPLE_MAX_KEYS) {
      await randomPages(client, Math.ceil(size * run.fraction), count, (keys) => pool.run(() => onBatch(keys).then(() => progress(run, phase))),
        (k) => !run.opts.ignoreKeys?.(k), () => run.tally.report.keysCompared >= run.limit);
      return;
    }
    let cursor = '0';
    do {
      const [next, page] = asArray(await client.call('SCAN', cursor, 'COUNT', count));
      cursor = asBuffer(next).toString('latin1');
      const keys = asArray(page).map(asBuffer).filter((k) => !run.opts.ignoreKeys?.(k) && (run.fraction >= 1 || Math.random() < run.fraction));
      if (keys.length > 0) await pool.run(() => onBatch(keys).then(() => progress(run, phase)));
    } while (cursor !== '0' && run.tally.report.keysCompared < run.limit);
  }));
  await pool.drain();
}

/** Up to this share of a node's keys, and this many keys, a sample is drawn by RANDOMKEY (few repeats, a small set). */
const RANDOM_SAMPLE_MAX_SHARE = 0.1;
const RANDOM_SAMPLE_MAX_KEYS = 1_000_000;

/** About `want` distinct random keys of one node, in pages of `count` pipelined RANDOMKEYs; bounded rounds. */
async function randomPages(client: RespClient, want: number, count: number, onPage: (keys: Buffer[]) => Promise<void>, keep: (k: Buffer) => boolean, done: () => boolean): Promise<void> {
  const seen = new Set<string>();
  const rounds = Math.ceil(want / count) * 3 + 10;
  for (let round = 0; round < rounds && seen.size < want && !done(); round++) {
    const replies = await client.pipeline(Array.from({ length: Math.min(count, want - seen.size) }, (): Call => ['RANDOMKEY']));
    const page: Buffer[] = [];
    for (const r of replies) {
      if (r === null || r instanceof Error) continue;
      const key = asBuffer(r);
      const id = key.toString('latin1');
      if (seen.has(id)) continue;
      seen.add(id);
      if (keep(key)) page.push(key);
    }
    if (page.length > 0) await onPage(page);
  }
}

async function compareBatch(run: Run, srcDb: number, dstDb: number, keys: Buffer[]): Promise<void> {
  const { ctx, tally } = run;
  const tolerance = run.opts.ttlToleranceMs ?? DEFAULT_TTL_TOLERANCE_MS;
  const named = keys.map((k) => ctx.destinationKey(srcDb, k));
  const [ss, ds] = await Promise.all([readStates(ctx.source, srcDb, keys, ctx.form), readStates(ctx.destination, dstDb, named, ctx.form)]);
  const candidates: Buffer[] = [];
  keys.forEach((key, i) => {
    if (ss[i].type === 'none') return; // expired or deleted on the source since SCAN
    tally.report.keysCompared++;
    if (keyDiffs(ss[i], ds[i], tolerance).length > 0) candidates.push(key);
  });
  await recheck(run, srcDb, dstDb, srcDb, candidates);
}

async function findExtra(run: Run, dstDb: number, srcDbs: number[], keys: Buffer[]): Promise<void> {
  const filter = run.opts.keys && !run.opts.keys.identity ? run.opts.keys : null;
  if (filter) return findExtraThroughFilter(run, filter, dstDb, srcDbs, keys);
  const found = await Promise.all(srcDbs.map((db) => readExists(run.ctx.source, db, keys)));
  const extra = keys.filter((_, i) => !found.some((f) => f[i]));
  // Several source dbs copied into one: a key is extra only if none has it, which one WATCHed read cannot tell.
  if (srcDbs.length > 1) {
    for (const key of extra) run.tally.add(dstDb, key, 'extra on destination', `not on source db ${srcDbs.join(',')}`);
    return;
  }
  await recheck(run, srcDbs[0], dstDb, dstDb, extra);
}

/**
 * Through a filter a destination key stands for the source keys that would be written under its name. Reported
 * without the online recheck: a renamed extra key has no single source key to WATCH.
 */
async function findExtraThroughFilter(run: Run, filter: KeyFilter, dstDb: number, srcDbs: number[], keys: Buffer[]): Promise<void> {
  const origins = keys.map((key) => srcDbs.map((db) => filter.sourcesOf(db, key)));
  const found = await Promise.all(srcDbs.map((db, d) => readExists(run.ctx.source, db, origins.flatMap((o) => o[d]))));
  const at = srcDbs.map(() => 0);
  keys.forEach((key, i) => {
    let hit = false;
    srcDbs.forEach((_, d) => {
      for (let j = 0; j < origins[i][d].length; j++) if (found[d][at[d]++]) hit = true;
    });
    if (hit) return;
    const none = origins[i].every((o) => o.length === 0);
    run.tally.add(dstDb, key, 'extra on destination', none ? 'outside the task\'s keyFilter/keyRenames: the task never writes this key' : `not on source db ${srcDbs.join(',')}`);
  });
}

/** Settles the candidates per source master (settle.ts) and tallies what really differs. */
async function recheck(run: Run, srcDb: number, dstDb: number, reportDb: number, candidates: Buffer[]): Promise<void> {
  const byNode = new Map<string, Buffer[]>();
  for (const key of candidates) {
    const node = run.ctx.source.nodeFor(key);
    (byNode.get(node) ?? byNode.set(node, []).get(node)!).push(key);
  }
  const tolerance = run.opts.ttlToleranceMs ?? DEFAULT_TTL_TOLERANCE_MS;
  await Promise.all([...byNode].map(async ([node, keys]) => {
    const group: KeyGroup = { node, srcDb, dstDb, keys };
    const r = await settle(run.ctx, group, tolerance);
    run.tally.report.inFlight = (run.tally.report.inFlight ?? 0) + r.settled;
    for (const u of r.unsettled) run.tally.unsettled(reportDb, u.key, u.reason);
    for (const d of r.differences) {
      run.differences.push(d);
      const more = { source: summarize(d.source), destination: summarize(d.destination), sourceOffset: d.sourceOffset, destinationOffset: d.destinationOffset };
      for (const x of d.diffs) run.tally.add(x.problem === 'extra on destination' ? dstDb : srcDb, d.key, x.problem, x.problem === 'extra on destination' ? `${x.detail} db ${srcDb}` : x.detail, more);
    }
  }));
}

/** Runs up to `limit` batches at once; run() waits for a free slot, so SCAN never races far ahead. */
class BatchPool {
  private readonly active = new Set<Promise<void>>();
  private failure: unknown = null;
  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    while (this.active.size >= this.limit) await Promise.race(this.active);
    if (this.failure) throw this.failure;
    const p: Promise<void> = task()
      .catch((e: unknown) => { this.failure ??= e; })
      .finally(() => this.active.delete(p));
    this.active.add(p);
  }

  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.race(this.active);
    if (this.failure) throw this.failure;
  }
}
