// bench/sync: the sync engine next to a native Redis replica of the same source, in the same run.
//  (a) full sync of 1M keys of 100-byte strings, and of a mixed-type dataset: time to Synchronizing vs REPLICAOF;
//  (b) incremental: redis-benchmark SET with pipelining against the source: applied/issued rate, catch-up vs a native
//      replica; the daemon's peak RSS;
//  (c) lag: arrival lag p50/p99 of a native replica and ours, the same probes at once, at paced 20k and 100k writes/s
//      (arrival-lag.ts; BENCH_LAG_RATES, BENCH_LAG_SECONDS);
//  (d) sustained (BENCH_NICENESS: the daemon's tuning.niceness): the write rate the source sustains (redis-benchmark -P16 -c50) with a native replica attached, and
//      with our daemon attached instead, one after the other in each round.
// BENCH_ROUNDS interleaved rounds (default 3): every case runs native and ours in each round; medians of the rounds.
// `--cluster` runs the cluster case (BENCH_MASTERS masters on each side), `--exact-cost` compares cluster writes with
// and without clusterExactlyOnce. Prints the figures and writes bench/results/*.json. Loopback only.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { startRedis, startCluster, sleep, type RedisServer } from '../test/harness/redis';
import { startDaemon, REPO_ROOT, type Daemon } from '../test/harness/daemon';
import { verifyTask } from '../provider/verify/verify-task';
import type { TaskSpec } from '../provider/spec/types';
import { arrivalLagCase } from './arrival-lag';
import { replicateFrom } from './native-replica';
import { fillStrings, fillMixed, fillCluster } from './datasets';

const run = promisify(execFile);
const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);

async function masterOffset(s: RedisServer): Promise<number> {
  return Number(/master_repl_offset:(\d+)/.exec(await s.client().info('replication'))![1]);
}

/** REPLICAOF from an empty server: time until the link is up and the sync done. */
async function nativeFullSync(src: RedisServer): Promise<{ seconds: number; replica: RedisServer }> {
  const replica = await startRedis({ config: { 'repl-diskless-load': 'disabled' } });
  return { seconds: await replicateFrom(replica, src), replica };
}

function taskSpec(name: string, src: RedisServer, dst: RedisServer, heartbeatMs = 100): TaskSpec {
  return {
    name, source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] },
    heartbeat: { intervalMs: heartbeatMs },
  };
}

async function ourFullSync(src: RedisServer, name: string): Promise<{ seconds: number; syncSeconds: number; dst: RedisServer; daemon: Daemon; spec: TaskSpec }> {
  const dst = await startRedis();
  const spec = taskSpec(name, src, dst);
  const t0 = Date.now();
  const daemon = startDaemon(spec, { args: ['--skip-prechecks'] });
  const st = await daemon.waitForState('Synchronizing', 900_000);
  const fs = st.nodes[0].fullSync;
  // The daemon's own record of when the destination confirmed the last key: the status file is polled every 50 ms.
  const seconds = (Date.parse(fs.finishedAt!) - t0) / 1000;
  const syncSeconds = (Date.parse(fs.finishedAt!) - Date.parse(fs.startedAt!)) / 1000;
  return { seconds, syncSeconds, dst, daemon, spec };
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitApplied(d: Daemon, target: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < 1_000_000 && Date.now() - t0 < timeoutMs; i++) {
    if ((d.status()?.nodes[0].appliedOffset ?? 0) >= target) return (Date.now() - t0) / 1000;
    await sleep(5);
  }
  return NaN;
}

async function waitReplica(replica: RedisServer, target: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < 1_000_000 && Date.now() - t0 < timeoutMs; i++) {
    const off = Number(/slave_repl_offset:(\d+)/.exec(await replica.client().info('replication'))?.[1] ?? 0);
    if (off >= target) return (Date.now() - t0) / 1000;
    await sleep(5);
  }
  return NaN;
}

async function fullSyncCase(label: string, fill: (c: Redis, n: number) => Promise<void>): Promise<Record<string, number | string | boolean>> {
  const src = await startRedis({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '256mb' } });
  try {
    await fill(src.client(), KEYS);
    const keys = await src.client().dbsize();
    const native = await nativeFullSync(src);
    await native.replica.stop();
    const ours = await ourFullSync(src, `bench-${label}`);
    const rss = peakRssMb(ours.daemon.child.pid!);
    const report = await verifyTask(ours.spec);
    await ours.daemon.kill('SIGTERM');
    await ours.dst.stop();
    return {
      dataset: label, keys, nativeSeconds: native.seconds, oursSeconds: ours.seconds, oursTransferSeconds: ours.syncSeconds,
      ratio: ours.seconds / native.seconds, peakRssMb: rss, verifyConsistent: report.consistent, verifySeconds: report.durationMs / 1000,
    };
  } finally {
    await src.stop();
  }
}

/**
 * The heartbeat lag of every stream, as the status file reports it each time it is rewritten (every 250 ms),
 * for the duration of a paced load: the samples of that phase only.
 */
async function sampleLag(d: Daemon, ms: number): Promise<number[]> {
  const samples: number[] = [];
  let last = '';
  const t0 = Date.now();
  for (let i = 0; i < 100_000 && Date.now() - t0 < ms; i++) {
    const st = d.status();
    if (st && st.updatedAt !== last) {
      last = st.updatedAt;
      for (const n of st.nodes) if (n.lagMs !== null) samples.push(n.lagMs);
    }
    await sleep(50);
  }
  return samples;
}

function percentiles(xs: number[]): { p50: number; p99: number; max: number; samples: number } | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1], samples: s.length };
}

async function incrementalCase(): Promise<Record<string, number | string | boolean>> {
  const src = await startRedis({ config: { 'repl-backlog-size': '512mb', 'client-output-buffer-limit': 'replica 0 0 0' } });
  try {
    await fillStrings(src.client(), 1000);
    const native = await nativeFullSync(src);
    const dst = await startRedis();
    const spec = taskSpec('bench-incr', src, dst, 50);
    const daemon = startDaemon(spec, { args: ['--skip-prechecks'] });
    await daemon.waitForState('Synchronizing', 60_000);
    const N = Number(process.env.BENCH_INCR_COMMANDS ?? 2_000_000);
    const t0 = Date.now();
    await run('redis-benchmark', ['-h', src.host, '-p', String(src.port), '-t', 'set', '-n', String(N), '-P', '16', '-c', '8', '-r', '1000000', '-d', '100', '-q']);
    const issueSeconds = (Date.now() - t0) / 1000;
    const target = await masterOffset(src);
    const [oursExtra, nativeExtra] = await Promise.all([waitApplied(daemon, target, 300_000), waitReplica(native.replica, target, 300_000)]);
    const oursSeconds = issueSeconds + oursExtra;
    const nativeSeconds = issueSeconds + nativeExtra;
    const rss = peakRssMb(daemon.child.pid!);
    const report = await verifyTask(spec);
    await daemon.kill('SIGTERM');
    await Promise.all([dst.stop(), native.replica.stop()]);
    return {
      commands: N, issuedPerSecond: N / issueSeconds, oursAppliedPerSecond: N / oursSeconds, nativeAppliedPerSecond: N / nativeSeconds,
      ratioToIssued: issueSeconds / oursSeconds, ratioToNative: nativeSeconds / oursSeconds,
      oursCatchUpAfterLoadSeconds: oursExtra, nativeCatchUpAfterLoadSeconds: nativeExtra,
      peakRssMb: rss, verifyConsistent: report.consistent,
    };
  } finally {
    await src.stop();
  }
}

const MASTERS = Number(process.env.BENCH_MASTERS ?? 3);

async function clusterCase(exact = true): Promise<Record<string, unknown>> {
  const src = await startCluster({ masters: MASTERS, config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '256mb', 'client-output-buffer-limit': 'replica 0 0 0' } });
  const dst = await startCluster({ masters: MASTERS });
  try {
    await fillCluster(src.client(), KEYS);
    // Native: one plain replica per master, all at once.
    const t0 = Date.now();
    const natives = await Promise.all(src.masters.map((m) => nativeFullSync(m)));
    const nativeSeconds = (Date.now() - t0) / 1000;
    const spec: TaskSpec = { name: 'bench-cluster', source: { mode: 'cluster', nodes: [src.nodes[0]] }, destination: { mode: 'cluster', nodes: [dst.nodes[0]] }, heartbeat: { intervalMs: 50 }, tuning: { clusterExactlyOnce: exact } };
    const t1 = Date.now();
    const daemon = startDaemon(spec, { args: ['--skip-prechecks'] });
    await daemon.waitFor((s) => s.state === 'Synchronizing' && s.nodes.length === MASTERS, 900_000, 'Synchronizing');
    const oursSeconds = (Date.now() - t1) / 1000;
    const N = Number(process.env.BENCH_INCR_COMMANDS ?? 1_000_000);
    const t2 = Date.now();
    await run('redis-benchmark', ['--cluster', '-h', src.masters[0].host, '-p', String(src.masters[0].port), '-t', 'set', '-n', String(N), '-P', '16', '-c', String(4 * MASTERS), '-r', '1000000', '-d', '100', '-q']);
    const issueSeconds = (Date.now() - t2) / 1000;
    const targets = await Promise.all(src.masters.map(async (m) => [m.addr, await masterOffset(m)] as const));
    const caught = Date.now();
    for (let i = 0; i < 100_000 && Date.now() - caught < 300_000; i++) {
      const st = daemon.status();
      if (st && targets.every(([addr, off]) => (st.nodes.find((n) => n.node === addr)?.appliedOffset ?? 0) >= off)) break;
      await sleep(5);
    }
    const oursExtra = (Date.now() - caught) / 1000;
    const nativeExtra = Math.max(...(await Promise.all(natives.map((n, i) => waitReplica(n.replica, targets[i][1], 300_000)))));
    await sleep(300);
    const sampling = sampleLag(daemon, 10_500);
    const pacedWritesPerSecond = await pacedLoadCluster(src.client(), 20_000, 10);
    const lags = [percentiles(await sampling)];
    const rss = peakRssMb(daemon.child.pid!);
    const report = await verifyTask(spec);
    await daemon.kill('SIGTERM');
    await Promise.all(natives.map((n) => n.replica.stop()));
    return {
      keys: KEYS, masters: MASTERS, exactlyOnce: exact, nativeSeconds, oursSeconds, fullSyncRatio: oursSeconds / nativeSeconds,
      incrementalCommands: N, issuedPerSecond: N / issueSeconds, ratioToIssued: issueSeconds / (issueSeconds + oursExtra),
      ratioToNative: (issueSeconds + nativeExtra) / (issueSeconds + oursExtra),
      pacedWritesPerSecond, lagP50Ms: Math.max(...lags.map((l) => l?.p50 ?? NaN)), lagP99Ms: Math.max(...lags.map((l) => l?.p99 ?? NaN)),
      peakRssMb: rss, verifyConsistent: report.consistent, verifyKeys: report.keysCompared,
    };
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

async function pacedLoadCluster(c: InstanceType<typeof Redis.Cluster>, rate: number, seconds: number): Promise<number> {
  const perSlice = Math.round(rate / 100);
  const t0 = Date.now();
  let sent = 0;
  for (let slice = 0; slice < seconds * 100; slice++) {
    await Promise.all(Array.from({ length: perSlice }, (_, i) => c.set(`paced:${(sent + i) % 100000}`, 'v'.repeat(100))));
    sent += perSlice;
    const wait = t0 + (slice + 1) * 10 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return sent / ((Date.now() - t0) / 1000);
}

/**
 * What the exactly-once node batches cost (issue 13): the cluster case with clusterExactlyOnce true and false in turn,
 * `rounds` interleaved rounds, each side's applied rate against the issued rate and the native replicas of its round.
 */
async function exactCost(rounds: number): Promise<Record<string, unknown>> {
  const runs: Array<Record<string, unknown>> = [];
  for (let r = 0; r < rounds; r++) {
    for (const exact of r % 2 === 0 ? [true, false] : [false, true]) {
      const res = await clusterCase(exact);
      console.log(`round ${r + 1}, exactlyOnce ${exact}:`, res);
      runs.push({ round: r + 1, ...res });
    }
  }
  const ratio = (exact: boolean, field: string): number => median(runs.filter((x) => x.exactlyOnce === exact).map((x) => x[field] as number));
  const perRound = Array.from({ length: rounds }, (_, r) => {
    const pick = (exact: boolean): Record<string, unknown> => runs.find((x) => x.round === r + 1 && x.exactlyOnce === exact)!;
    return { round: r + 1, exactToAtLeastOnce: (pick(true).ratioToNative as number) / (pick(false).ratioToNative as number) };
  });
  return {
    rounds, runs, perRound,
    median: { exactRatioToNative: ratio(true, 'ratioToNative'), atLeastOnceRatioToNative: ratio(false, 'ratioToNative'), exactToAtLeastOnce: median(perRound.map((p) => p.exactToAtLeastOnce)) },
  };
}

/** BENCH_NICENESS: the daemon's tuning.niceness in the sustained case (default 0, the task's default). */
const NICENESS = Number(process.env.BENCH_NICENESS ?? 0);

/** The source's SET rate under redis-benchmark with one replica attached: a native one, or our daemon. */
async function sustainedRate(replica: 'native' | 'ours'): Promise<number> {
  const src = await startRedis({ config: { 'repl-backlog-size': '512mb', 'client-output-buffer-limit': 'replica 0 0 0' } });
  let stopReplica: () => Promise<void>;
  try {
    await fillStrings(src.client(), 1000);
    if (replica === 'native') {
      const native = await nativeFullSync(src);
      stopReplica = () => native.replica.stop();
    } else {
      const dst = await startRedis();
      const spec = taskSpec('bench-sustained', src, dst, 100);
      if (NICENESS) spec.tuning = { niceness: NICENESS };
      const daemon = startDaemon(spec, { args: ['--skip-prechecks'] });
      await daemon.waitForState('Synchronizing', 60_000);
      stopReplica = async () => { await daemon.kill('SIGTERM'); await dst.stop(); };
    }
    const N = Number(process.env.BENCH_SUSTAINED_COMMANDS ?? 2_000_000);
    const t0 = Date.now();
    await run('redis-benchmark', ['-h', src.host, '-p', String(src.port), '-t', 'set', '-n', String(N), '-P', '16', '-c', '50', '-r', '1000000', '-d', '100', '-q']);
    const rate = N / ((Date.now() - t0) / 1000);
    await stopReplica();
    return rate;
  } finally {
    await src.stop();
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs a case ROUNDS times; the rounds and the median of each numeric figure. */
async function rounds(label: string, once: (round: number) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const all: Array<Record<string, unknown>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const res = await once(r);
    console.log(`${label}, round ${r + 1}:`, res);
    all.push(res);
  }
  const med: Record<string, number> = {};
  for (const k of Object.keys(all[0])) if (typeof all[0][k] === 'number') med[k] = median(all.map((x) => x[k] as number));
  return { rounds: all, median: med };
}

async function main(): Promise<void> {
  if (process.argv.includes('--exact-cost')) {
    const cost = await exactCost(Number(process.env.BENCH_ROUNDS ?? 3));
    console.log('exactly-once cost:', cost.median, cost.perRound);
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sync-cluster-exact.json'), JSON.stringify({ date: new Date().toISOString(), keys: KEYS, masters: MASTERS, ...cost }, null, 2));
    return;
  }
  if (process.argv.includes('--cluster')) {
    const cluster = await rounds(`cluster ${MASTERS} -> ${MASTERS}`, () => clusterCase());
    console.log(`cluster ${MASTERS} -> ${MASTERS} (median of ${ROUNDS} rounds):`, cluster.median);
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `sync-cluster-${MASTERS}.json`), JSON.stringify({ date: new Date().toISOString(), keys: KEYS, masters: MASTERS, ...cluster }, null, 2));
    return;
  }
  const only = process.argv[2];
  const results: Record<string, unknown> = { date: new Date().toISOString(), keys: KEYS };
  if (!only || only === 'full') {
    results.fullStrings = await rounds('full sync, strings', () => fullSyncCase('strings-100B', fillStrings));
    results.fullMixed = await rounds('full sync, mixed', () => fullSyncCase('mixed', fillMixed));
  }
  if (!only || only === 'incremental') results.incremental = await rounds('incremental', () => incrementalCase());
  if (!only || only === 'lag') {
    const rates = (process.env.BENCH_LAG_RATES ?? '20000,100000').split(',').map(Number);
    const seconds = Number(process.env.BENCH_LAG_SECONDS ?? 12);
    for (const rate of rates) results[`lag${rate / 1000}k`] = await rounds(`arrival lag at ${rate} writes/s`, () => arrivalLagCase(rate, seconds));
  }
  if (!only || only === 'sustained') {
    // Native first in odd rounds, ours first in even ones: a drift of the machine over the run favours neither.
    results.sustained = await rounds('source-sustained write rate', async (r) => {
      const order: Array<'native' | 'ours'> = r % 2 === 0 ? ['native', 'ours'] : ['ours', 'native'];
      const rates: Record<string, number> = {};
      for (const side of order) rates[side] = await sustainedRate(side);
      return { nativeWritesPerSecond: rates.native, oursWritesPerSecond: rates.ours, ratio: rates.ours / rates.native };
    });
  }
  for (const [k, v] of Object.entries(results)) if (v && typeof v === 'object' && 'median' in v) console.log(`${k} (median of ${ROUNDS} rounds):`, (v as { median: unknown }).median);
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sync.json'), JSON.stringify(results, null, 2));
  console.log(`wrote ${join(dir, 'sync.json')}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
