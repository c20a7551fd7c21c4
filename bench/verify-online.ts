// bench/verify-online: online verify and --repair at scale (issue #17), standalone and cluster.
//
//   node dist/bench/verify-online.js [--keys 1000000] [--rate 20000] [--topology standalone|cluster|both]
//
// For each topology: a source and a destination (two redis-server, or two 3-master clusters); the source filled with
// --keys keys of mixed types (strings by DEBUG POPULATE on a standalone source, plus hashes, lists, sets, zsets and
// strings with TTLs, some hashes with a TTL too); the task's daemon started, Synchronizing and caught up; then a paced
// mixed write load of --rate writes/s (in a worker thread: its own event loop, so verify's CPU does not slow it down
// in the same loop) over the dataset's own keys (all but the "cold" ones, index % 100 == 99) and new ones. Under that
// load: (1) a full verify must report 0 differences; (2) 100 cold keys are changed on the destination only (20 each
// of value, type, TTL, missing, extra) and a verify with repair must find each with its problem and repair all 100;
// (3) a second verify must be consistent; then a sampled verify (--sample, default 10000). The achieved write rate is
// measured over each verify's own window. Prints a summary, writes bench/results/verify-online-<date>.json, exits 1
// if any check failed. Every server, the daemon and the load worker are stopped on the way out, failure or not.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { startRedis, startCluster, sleep, type RedisServer, type RedisCluster } from '../test/harness/redis';
import { startDaemon, removeDir, REPO_ROOT, type Daemon } from '../test/harness/daemon';
import { sideSpec, caughtUpAll, isCluster, type Side } from '../test/harness/topology';
import { prng } from '../test/harness/dataset';
import { verifyTask } from '../provider/verify/verify-task';
import type { Problem, VerifyReport } from '../provider/verify/report';
import type { TaskSpec } from '../provider/spec/types';

type Topology = 'standalone' | 'cluster';

interface Args {
  keys: number;
  rate: number;
  topologies: Topology[];
  sample: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { keys: 1_000_000, rate: 20_000, topologies: ['standalone', 'cluster'], sample: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: a positive number`);
      return n;
    };
    if (flag === '--keys') out.keys = Math.round(num());
    else if (flag === '--rate') out.rate = num();
    else if (flag === '--sample') out.sample = num();
    else if (flag === '--topology') {
      const t = value();
      if (t === 'both') out.topologies = ['standalone', 'cluster'];
      else if (t === 'standalone' || t === 'cluster') out.topologies = [t];
      else throw new Error(`--topology: standalone, cluster or both, not ${t}`);
    } else throw new Error(`unknown argument ${argv[i]}; usage: node dist/bench/verify-online.js [--keys N] [--rate W] [--topology standalone|cluster|both] [--sample N]`);
  }
  if (out.keys < 50_000) throw new Error('--keys: at least 50000 (the tamper needs enough cold keys of each type)');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The dataset: key names by type and index. Index % COLD == COLD - 1 is "cold": the load never writes it.

const COLD = 100;

interface Layout { key: number; hash: number; list: number; set: number; zset: number; ttl: number }
type Kind = keyof Layout;
const KINDS: Kind[] = ['key', 'hash', 'list', 'set', 'zset', 'ttl'];

function layout(n: number): Layout {
  const hash = Math.floor(n * 0.05);
  const list = Math.floor(n * 0.05);
  const set = Math.floor(n * 0.04);
  const zset = Math.floor(n * 0.04);
  const ttl = Math.floor(n * 0.02);
  return { key: n - hash - list - set - zset - ttl, hash, list, set, zset, ttl };
}

const isCold = (i: number): boolean => i % COLD === COLD - 1;
/** The j-th cold index of a kind. */
const coldIndex = (j: number): number => j * COLD + COLD - 1;

const HOUR = 3_600_000;
/** Absolute expiries hours ahead: nothing expires during the run. */
const ttlMs = (i: number): number => 4 * HOUR + (i % 1000) * 10_000;

type Cmd = Array<string | number>;

/** The commands creating key i of a kind (strings: the caller may use DEBUG POPULATE instead). */
function createCommands(kind: Kind, i: number): Cmd[] {
  switch (kind) {
    case 'key': return [['SET', `key:${i}`, `value:${i}`.padEnd(64, 'x')]];
    case 'hash': {
      const c: Cmd[] = [['HSET', `hash:${i}`, 'name', `n${i}`, 'count', i, 'flag', 1]];
      if (i % 10 === 0) c.push(['PEXPIRE', `hash:${i}`, ttlMs(i)]);
      return c;
    }
    case 'list': return [['RPUSH', `list:${i}`, 'alpha', 'beta', 'gamma', i, 'delta']];
    case 'set': return [['SADD', `set:${i}`, 'a', 'b', 'c', i]];
    case 'zset': return [['ZADD', `zset:${i}`, 1, 'a', 2, 'b', i, 'c']];
    case 'ttl': return [['SET', `ttl:${i}`, `t${i}`, 'PX', ttlMs(i)]];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Routing by slot to the masters of a cluster (or everything to one standalone server): pipelines per master.

interface Route { addrs: string[]; slotOwner: Int16Array | null }

async function routeOf(seed: string, cluster: boolean): Promise<Route> {
  if (!cluster) return { addrs: [seed], slotOwner: null };
  const [host, port] = seed.split(':');
  const c = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await c.connect();
    const slots = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
    const addrs: string[] = [];
    const owner = new Int16Array(16384).fill(-1);
    for (const [from, to, [h, p]] of slots) {
      const addr = `${h}:${p}`;
      let idx = addrs.indexOf(addr);
      if (idx < 0) idx = addrs.push(addr) - 1;
      owner.fill(idx, from, to + 1);
    }
    if (owner.includes(-1)) throw new Error('CLUSTER SLOTS leaves slots unassigned');
    return { addrs, slotOwner: owner };
  } finally {
    c.disconnect();
  }
}

class Router {
  readonly clients: Redis[];
  constructor(private readonly route: Route) {
    this.clients = route.addrs.map((a) => {
      const [host, port] = a.split(':');
      const c = new Redis({ host, port: Number(port), maxRetriesPerRequest: 2 });
      c.on('error', () => undefined);
      return c;
    });
  }
  nodeOf(key: string): number {
    return this.route.slotOwner ? this.route.slotOwner[calculateSlot(key)] : 0;
  }
  /** Sends each node's commands as one pipeline; returns how many replies were errors and the first one. */
  async send(perNode: Cmd[][]): Promise<{ errors: number; first: string | null }> {
    let errors = 0;
    let first: string | null = null;
    await Promise.all(perNode.map(async (cmds, n) => {
      if (cmds.length === 0) return;
      const p = this.clients[n].pipeline();
      for (const [name, ...args] of cmds) p.call(String(name), ...args);
      const res = (await p.exec()) ?? [];
      for (const [err] of res) if (err) { errors++; first ??= `${err.message} (${String(cmds[res.findIndex(([e]) => e === err)]?.slice(0, 2))})`; }
    }));
    return { errors, first };
  }
  close(): void { for (const c of this.clients) c.disconnect(); }
}

/** Fills the source: strings by DEBUG POPULATE on a standalone server, by pipelines routed per slot on a cluster. */
async function fill(side: Side, l: Layout): Promise<void> {
  const cluster = isCluster(side);
  const router = new Router(await routeOf(cluster ? side.nodes[0] : side.addr, cluster));
  try {
    const kinds = KINDS.filter((k) => cluster || k !== 'key');
    if (!cluster) await router.clients[0].call('DEBUG', 'POPULATE', String(l.key), 'key', '64');
    const CHUNK = 5000;
    for (const kind of kinds) {
      for (let base = 0; base < l[kind]; base += CHUNK) {
        const perNode: Cmd[][] = router.clients.map(() => []);
        for (let i = base; i < Math.min(l[kind], base + CHUNK); i++) {
          for (const c of createCommands(kind, i)) perNode[router.nodeOf(String(c[1]))].push(c);
        }
        const r = await router.send(perNode);
        if (r.errors) throw new Error(`fill ${kind}: ${r.errors} errors, first: ${r.first}`);
      }
    }
  } finally {
    router.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The paced load, in a worker thread. Counters shared with the main thread (Int32Array over a SharedArrayBuffer).

const C_SENT = 0;
const C_STOP = 1;
const C_ERRORS = 2;
const C_RESETS = 3;
const C_MAX_BEHIND = 4;
const C_SLICES = 5;
const C_DATASET = 6;
const COUNTERS = 8;

interface LoadData { kind: 'load'; route: Route; layout: Layout; rate: number; seed: number; counters: SharedArrayBuffer; maxSeconds: number }

/** One slice's writes: about 60% on the dataset's own (non-cold) keys, the rest on new keys load:*. */
function loadCommands(rnd: () => number, l: Layout, n: number, seq: { sent: number }): { cmds: Cmd[][]; writes: number; dataset: number } {
  const cmds: Cmd[][] = [];
  let writes = 0;
  let dataset = 0;
  const hot = (kind: Kind): number => {
    const i = Math.floor(rnd() * l[kind]);
    return isCold(i) ? i - 1 : i;
  };
  const fresh = (): number => Math.floor(rnd() * 50_000);
  while (writes < n) {
    const s = seq.sent++;
    const op = Math.floor(rnd() * 20);
    let c: Cmd[];
    switch (op) {
      case 0: case 1: case 2: c = [['SET', `key:${hot('key')}`, `w${s}`]]; break;
      case 3: c = [s % 2 ? ['PEXPIRE', `key:${hot('key')}`, 2 * HOUR] : ['PERSIST', `key:${hot('key')}`]]; break;
      case 4: c = [['HINCRBY', `hash:${hot('hash')}`, 'count', 1]]; break;
      case 5: c = [s % 3 === 0 ? ['HDEL', `hash:${hot('hash')}`, `f${s % 5}`] : ['HSET', `hash:${hot('hash')}`, `f${s % 5}`, `v${s}`]]; break;
      case 6: c = [['RPUSH', `list:${hot('list')}`, `e${s}`]]; break;
      case 7: c = [['LPOP', `list:${hot('list')}`]]; break;
      case 8: c = [['SADD', `set:${hot('set')}`, `m${s % 7}`]]; break;
      case 9: c = [['SREM', `set:${hot('set')}`, `m${s % 7}`]]; break;
      case 10: c = [['ZADD', `zset:${hot('zset')}`, s % 1000, `m${s % 9}`]]; break;
      case 11: c = [['ZINCRBY', `zset:${hot('zset')}`, 1.5, 'a']]; break;
      case 12: c = [s % 2 ? ['SET', `ttl:${hot('ttl')}`, `t${s}`, 'PX', ttlMs(s)] : ['PEXPIRE', `ttl:${hot('ttl')}`, ttlMs(s)]]; break;
      case 13: c = [['SET', `load:s:${fresh()}`, `v${s}`]]; break;
      case 14: c = [['INCR', `load:c:${fresh()}`]]; break;
      case 15: c = [['XADD', `load:x:${fresh() % 2000}`, 'MAXLEN', '~', 100, '*', 'f', `v${s}`]]; break;
      case 16: c = [['SET', `load:t:${fresh()}`, `v${s}`, 'EX', 600]]; break;
      case 17: {
        const t = fresh();
        c = [['MULTI'], ['INCR', `{load:m:${t}}a`], ['SET', `{load:m:${t}}b`, `v${s}`], ['EXEC']];
        break;
      }
      case 18: c = [s % 4 === 0 ? ['DEL', `key:${hot('key')}`] : ['DEL', `load:s:${fresh()}`]]; break;
      default: c = [['APPEND', `key:${hot('key')}`, 'a']]; break;
    }
    const w = c.filter(([name]) => name !== 'MULTI' && name !== 'EXEC').length;
    writes += w;
    if (op <= 12 || op === 19 || (op === 18 && s % 4 === 0)) dataset += w;
    cmds.push(c);
  }
  return { cmds, writes, dataset };
}

/**
 * `rate` writes/s in 10 ms slices, each slice one pipeline per master, up to MAX_IN_FLIGHT slices awaiting their
 * replies at once (so one slow reply does not stall the schedule). A slice due while that many are in flight waits;
 * a schedule more than 1 s behind is reset (counted) rather than caught up in a burst. Bounded by maxSeconds as well
 * as by the stop flag.
 */
const MAX_IN_FLIGHT = 4;

async function loadWorker(d: LoadData): Promise<void> {
  const counters = new Int32Array(d.counters);
  const router = new Router(d.route);
  const rnd = prng(d.seed);
  const seq = { sent: 0 };
  const perSlice = Math.max(1, Math.round(d.rate / 100));
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let t0 = Date.now();
  let slice = 0;
  const end = Date.now() + d.maxSeconds * 1000;
  try {
    for (let iter = 0; iter < 100 * d.maxSeconds && Atomics.load(counters, C_STOP) === 0 && Date.now() < end; iter++) {
      if (failure) throw failure;
      const wait = t0 + slice * 10 - Date.now();
      if (wait > 0) await sleep(wait);
      else if (-wait > 1000) {
        Atomics.add(counters, C_RESETS, 1);
        t0 = Date.now();
        slice = 0;
      }
      if (-wait > Atomics.load(counters, C_MAX_BEHIND)) Atomics.store(counters, C_MAX_BEHIND, Math.round(-wait));
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      slice++;
      const { cmds, writes, dataset } = loadCommands(rnd, d.layout, perSlice, seq);
      const perNode: Cmd[][] = router.clients.map(() => []);
      for (const group of cmds) {
        const key = group.find(([name]) => name !== 'MULTI' && name !== 'EXEC')![1];
        perNode[router.nodeOf(String(key))].push(...group);
      }
      const p: Promise<void> = router.send(perNode).then((r) => {
        Atomics.add(counters, C_SENT, writes);
        Atomics.add(counters, C_DATASET, dataset);
        Atomics.add(counters, C_SLICES, 1);
        if (r.errors) {
          Atomics.add(counters, C_ERRORS, r.errors);
          if (Atomics.load(counters, C_ERRORS) === r.errors) console.error(`load: first error: ${r.first}`);
        }
      }, (e: unknown) => { failure ??= e; }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    while (inFlight.size > 0) await Promise.race(inFlight);
    if (failure) throw failure;
  } finally {
    router.close();
  }
}

interface LoadHandle {
  /** Writes sent so far, and when read. */
  sample(): { sent: number; dataset: number; at: number };
  stats(): { errors: number; scheduleResets: number; maxBehindMs: number; slices: number };
  stop(): Promise<void>;
}

function startLoad(route: Route, l: Layout, rate: number, seed: number): LoadHandle {
  const counters = new SharedArrayBuffer(COUNTERS * 4);
  const view = new Int32Array(counters);
  const data: LoadData = { kind: 'load', route, layout: l, rate, seed, counters, maxSeconds: 3600 };
  const worker = new Worker(__filename, { workerData: data });
  let failure: Error | null = null;
  worker.on('error', (e) => { failure = e; });
  const exited = new Promise<void>((res) => worker.once('exit', () => res()));
  return {
    sample: () => {
      if (failure) throw new Error(`load worker failed: ${(failure as Error).message}`);
      return { sent: Atomics.load(view, C_SENT), dataset: Atomics.load(view, C_DATASET), at: Date.now() };
    },
    stats: () => ({ errors: Atomics.load(view, C_ERRORS), scheduleResets: Atomics.load(view, C_RESETS), maxBehindMs: Atomics.load(view, C_MAX_BEHIND), slices: Atomics.load(view, C_SLICES) }),
    async stop() {
      Atomics.store(view, C_STOP, 1);
      const t = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tampering with the destination, on cold keys only.

interface Tampered { key: string; problem: Problem; how: string }

function tamperPlan(l: Layout): { plan: Tampered[]; calls: Cmd[][] } {
  const next: Record<Kind, number> = { key: 0, hash: 0, list: 0, set: 0, zset: 0, ttl: 0 };
  const cold = (kind: Kind): string => {
    const i = coldIndex(next[kind]++);
    if (i >= l[kind]) throw new Error(`not enough cold ${kind} keys for the tamper (--keys too small)`);
    return `${kind}:${i}`;
  };
  const plan: Tampered[] = [];
  const calls: Cmd[][] = [];
  const add = (problem: Problem, key: string, how: string, cmds: Cmd[]): void => { plan.push({ key, problem, how }); calls.push(cmds); };
  for (let j = 0; j < 10; j++) { const k = cold('key'); add('value', k, 'SET', [['SET', k, 'tampered']]); }
  for (let j = 0; j < 5; j++) { const k = cold('hash'); add('value', k, 'HSET name', [['HSET', k, 'name', 'tampered']]); }
  for (let j = 0; j < 3; j++) { const k = cold('zset'); add('value', k, 'ZADD member', [['ZADD', k, 99, 'tampered']]); }
  for (let j = 0; j < 2; j++) { const k = cold('list'); add('value', k, 'LSET 0', [['LSET', k, 0, 'tampered']]); }
  for (let j = 0; j < 15; j++) { const k = cold('key'); add('type', k, 'string -> set', [['DEL', k], ['SADD', k, 'x']]); }
  for (let j = 0; j < 5; j++) { const k = cold('hash'); add('type', k, 'hash -> string', [['DEL', k], ['SET', k, 'x']]); }
  for (let j = 0; j < 15; j++) { const k = cold('key'); add('ttl', k, 'PEXPIRE 9000000', [['PEXPIRE', k, 9_000_000]]); }
  for (let j = 0; j < 5; j++) { const k = cold('ttl'); add('ttl', k, 'PERSIST', [['PERSIST', k]]); }
  for (const [kind, n] of [['key', 4], ['hash', 4], ['list', 4], ['set', 4], ['zset', 4]] as Array<[Kind, number]>) {
    for (let j = 0; j < n; j++) { const k = cold(kind); add('missing on destination', k, 'DEL', [['DEL', k]]); }
  }
  for (let j = 0; j < 15; j++) add('extra on destination', `stray:${j}`, 'SET', [['SET', `stray:${j}`, 'only here']]);
  for (let j = 0; j < 5; j++) add('extra on destination', `stray:h:${j}`, 'HSET', [['HSET', `stray:h:${j}`, 'f', 'only here']]);
  return { plan, calls };
}

async function tamper(dst: Side, l: Layout): Promise<Tampered[]> {
  const cluster = isCluster(dst);
  const router = new Router(await routeOf(cluster ? dst.nodes[0] : dst.addr, cluster));
  try {
    const { plan, calls } = tamperPlan(l);
    const perNode: Cmd[][] = router.clients.map(() => []);
    calls.forEach((cmds, i) => perNode[router.nodeOf(plan[i].key)].push(...cmds));
    const r = await router.send(perNode);
    if (r.errors) throw new Error(`tamper: ${r.errors} errors, first: ${r.first}`);
    return plan;
  } finally {
    router.close();
  }
}

/**
 * For differences nobody made (false alarms): each side's absolute expiry (PEXPIRETIME) and value digest read now,
 * to tell a real difference from one of the comparison (e.g. two relative PTTLs read a while apart).
 */
async function lookAgain(src: Side, dst: Side, keys: string[]): Promise<Array<Record<string, unknown>>> {
  if (keys.length === 0) return [];
  const read = async (side: Side): Promise<Array<[unknown, unknown, unknown]>> => {
    const cluster = isCluster(side);
    const router = new Router(await routeOf(cluster ? side.nodes[0] : side.addr, cluster));
    try {
      return await Promise.all(keys.map(async (k) => {
        const c = router.clients[router.nodeOf(k)];
        return Promise.all([c.call('TYPE', k), c.call('PEXPIRETIME', k), c.call('DEBUG', 'DIGEST-VALUE', k).catch((e: Error) => e.message)]);
      }));
    } finally {
      router.close();
    }
  };
  const [a, b] = await Promise.all([read(src), read(dst)]);
  return keys.map((key, i) => ({ key, source: { type: a[i][0], pexpiretime: a[i][1], digest: a[i][2] }, destination: { type: b[i][0], pexpiretime: b[i][1], digest: b[i][2] } }));
}

// ---------------------------------------------------------------------------------------------------------------
// The run of one topology.

interface Check { name: string; ok: boolean; detail?: string }

function summarizeVerify(r: VerifyReport, load: { writesPerSecond: number; datasetWritesPerSecond: number }): Record<string, unknown> {
  return {
    consistent: r.consistent,
    keysCompared: r.keysCompared,
    durationMs: r.durationMs,
    keysPerSecond: Math.round(r.keysCompared / (r.durationMs / 1000)),
    differences: { value: r.valueMismatches, type: r.typeMismatches, ttl: r.ttlMismatches, missing: r.missingOnDestination, extra: r.extraOnDestination },
    online: r.online,
    sampled: r.sampled,
    inFlight: r.inFlight,
    unsettled: r.unsettled,
    firstUnsettled: r.firstUnsettled?.slice(0, 10),
    loadDuring: load,
    ...(r.repair ? { repair: { repaired: r.repair.repaired, failed: r.repair.failed, deleted: r.repair.firstRepaired.filter((x) => x.action === 'deleted').length, restored: r.repair.firstRepaired.filter((x) => x.action === 'restored').length, firstFailures: r.repair.firstFailures.slice(0, 10) } } : {}),
  };
}

const differences = (r: VerifyReport): number => r.valueMismatches + r.typeMismatches + r.ttlMismatches + r.missingOnDestination + r.extraOnDestination;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch { return null; }
}

function percentiles(xs: number[]): { p50: number; p99: number; max: number; samples: number } | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1], samples: s.length };
}

const la = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

async function dbsize(side: Side): Promise<number> {
  const masters = isCluster(side) ? side.masters : [side];
  let n = 0;
  for (const m of masters) n += await m.client().dbsize();
  return n;
}

async function runTopology(topology: Topology, args: Args): Promise<{ result: Record<string, unknown>; checks: Check[] }> {
  const l = layout(args.keys);
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail?: string): void => {
    checks.push({ name, ok, ...(detail ? { detail } : {}) });
    console.log(`  [${ok ? 'ok' : 'FAIL'}] ${name}${detail && !ok ? `: ${detail}` : ''}`);
  };
  const result: Record<string, unknown> = { topology, keysRequested: args.keys, layout: l, loadavgStart: la() };
  const timings: Record<string, number> = {};
  result.timings = timings;
  const srcConfig = { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '256mb', 'client-output-buffer-limit': 'replica 0 0 0' };
  const servers: Array<{ stop(): Promise<void> }> = [];
  let daemon: Daemon | null = null;
  let load: LoadHandle | null = null;
  let lagSampler: { stop(): Promise<number[]> } | null = null;
  try {
    let src: Side;
    let dst: Side;
    if (topology === 'standalone') {
      src = await startRedis({ config: srcConfig }); servers.push(src as RedisServer);
      dst = await startRedis(); servers.push(dst as RedisServer);
    } else {
      src = await startCluster({ masters: 3, config: srcConfig }); servers.push(src as RedisCluster);
      dst = await startCluster({ masters: 3 }); servers.push(dst as RedisCluster);
    }
    let t = Date.now();
    console.log(`${topology}: filling the source with ${args.keys} keys`);
    await fill(src, l);
    timings.fillSeconds = (Date.now() - t) / 1000;
    result.sourceKeys = await dbsize(src);
    console.log(`  ${result.sourceKeys} keys in ${timings.fillSeconds} s`);

    const spec: TaskSpec = sideSpec(`bench-verify-online-${topology}`, src, dst);
    t = Date.now();
    daemon = startDaemon(spec);
    const masters = isCluster(src) ? src.masters.length : 1;
    await daemon.waitFor((s) => s.state === 'Synchronizing' && s.nodes.length === masters, 1_800_000, 'Synchronizing');
    timings.toSynchronizingSeconds = (Date.now() - t) / 1000;
    await caughtUpAll(daemon, src, 300_000);
    timings.caughtUpSeconds = (Date.now() - t) / 1000;
    console.log(`  daemon Synchronizing in ${timings.toSynchronizingSeconds} s, caught up in ${timings.caughtUpSeconds} s`);

    const route = await routeOf(isCluster(src) ? src.nodes[0] : src.addr, isCluster(src));
    load = startLoad(route, l, args.rate, topology === 'standalone' ? 1 : 2);
    lagSampler = sampleLag(daemon);
    const loadStart = load.sample();
    await sleep(3000);
    const warm = load.sample();
    console.log(`  load started: ${Math.round((warm.sent - loadStart.sent) / ((warm.at - loadStart.at) / 1000))} writes/s in its first 3 s (target ${args.rate})`);
    const h = load;
    const measured = async (what: string, run: () => Promise<VerifyReport>): Promise<{ r: VerifyReport; load: { writesPerSecond: number; datasetWritesPerSecond: number }; loadavg: number[] }> => {
      const a = h.sample();
      const r = await withTimeout(run(), 1_800_000, what);
      const b = h.sample();
      const secs = (b.at - a.at) / 1000;
      const rate = { writesPerSecond: Math.round((b.sent - a.sent) / secs), datasetWritesPerSecond: Math.round((b.dataset - a.dataset) / secs) };
      console.log(`  ${what}: ${r.keysCompared} keys in ${(r.durationMs / 1000).toFixed(1)} s, ${differences(r)} differences, ${r.inFlight} in flight, ${r.unsettled} unsettled; load ${rate.writesPerSecond} writes/s meanwhile`);
      return { r, load: rate, loadavg: la() };
    };
    const verifies: Record<string, unknown> = {};
    result.verifies = verifies;

    // (1) An equal copy under load: no difference.
    result.busiestUnderLoad = busiest();
    const clean = await measured('verify (equal copy)', () => verifyTask(spec, { maxMismatches: 1000 }));
    verifies.clean = { ...summarizeVerify(clean.r, clean.load), loadavgAfter: clean.loadavg, unexpected: clean.r.firstMismatches.slice(0, 20), unexpectedNow: await lookAgain(src, dst, clean.r.firstMismatches.slice(0, 20).map((m) => m.key)) };
    check('verify of the equal copy: online', clean.r.online === true);
    check('verify of the equal copy: 0 differences', differences(clean.r) === 0 && clean.r.consistent, JSON.stringify(clean.r.firstMismatches.slice(0, 5)));
    check('verify of the equal copy: compared every key', clean.r.keysCompared >= 0.95 * args.keys, `${clean.r.keysCompared} of ~${args.keys}`);

    // (2) 100 cold keys changed on the destination behind the task's back, found and repaired by one verify --repair.
    const plan = await tamper(dst, l);
    const bad = await measured('verify --repair (100 tampered)', () => verifyTask(spec, { repair: true, maxMismatches: 1000 }));
    const found = new Map<string, Problem[]>();
    for (const m of bad.r.firstMismatches) found.set(m.key, [...(found.get(m.key) ?? []), m.problem]);
    const missed = plan.filter((p) => !found.has(p.key)).map((p) => `${p.key} (${p.problem})`);
    const wrong = plan.filter((p) => found.has(p.key) && (found.get(p.key)!.length !== 1 || found.get(p.key)![0] !== p.problem)).map((p) => `${p.key}: want ${p.problem}, got ${found.get(p.key)!.join('+')}`);
    const planned = new Set(plan.map((p) => p.key));
    const unexpected = bad.r.firstMismatches.filter((m) => !planned.has(m.key));
    verifies.repair = {
      ...summarizeVerify(bad.r, bad.load), loadavgAfter: bad.loadavg,
      tampered: plan.length, found: plan.length - missed.length, missed, wrongProblem: wrong, unexpected: unexpected.slice(0, 20),
      unexpectedNow: await lookAgain(src, dst, unexpected.slice(0, 20).map((m) => m.key)),
    };
    const counts = [bad.r.valueMismatches, bad.r.typeMismatches, bad.r.ttlMismatches, bad.r.missingOnDestination, bad.r.extraOnDestination];
    check('verify --repair: every tampered key found', missed.length === 0, missed.join(', '));
    check('verify --repair: each with its problem', wrong.length === 0, wrong.join('; '));
    check('verify --repair: no other difference (false alarm)', unexpected.length === 0, JSON.stringify(unexpected.slice(0, 5)));
    check('verify --repair: 20 each of value, type, ttl, missing, extra', counts.join(',') === '20,20,20,20,20', counts.join(','));
    check('verify --repair: 100 repaired (20 deleted), 0 failed', bad.r.repair?.repaired === 100 && bad.r.repair.failed === 0 && bad.r.repair.firstRepaired.filter((x) => x.action === 'deleted').length === 20,
      JSON.stringify({ repaired: bad.r.repair?.repaired, failed: bad.r.repair?.failed, failures: bad.r.repair?.firstFailures.slice(0, 5) }));

    // (3) Consistent again.
    const again = await measured('second verify', () => verifyTask(spec, { maxMismatches: 1000 }));
    verifies.again = { ...summarizeVerify(again.r, again.load), loadavgAfter: again.loadavg, unexpected: again.r.firstMismatches.slice(0, 20), unexpectedNow: await lookAgain(src, dst, again.r.firstMismatches.slice(0, 20).map((m) => m.key)) };
    check('second verify: consistent', again.r.consistent && differences(again.r) === 0, JSON.stringify(again.r.firstMismatches.slice(0, 5)));

    // A sampled verify.
    const sampled = await measured(`sampled verify (--sample ${args.sample})`, () => verifyTask(spec, { sample: args.sample, maxMismatches: 1000 }));
    verifies.sampled = { ...summarizeVerify(sampled.r, sampled.load), loadavgAfter: sampled.loadavg, unexpected: sampled.r.firstMismatches.slice(0, 20), unexpectedNow: await lookAgain(src, dst, sampled.r.firstMismatches.slice(0, 20).map((m) => m.key)) };
    check('sampled verify: consistent', sampled.r.consistent, JSON.stringify(sampled.r.firstMismatches.slice(0, 5)));
    const unsettled = [clean, bad, again, sampled].reduce((n, x) => n + (x.r.unsettled ?? 0), 0);
    result.unsettledTotal = unsettled;

    const end = load.sample();
    const stats = load.stats();
    await load.stop();
    load = null;
    const seconds = (end.at - loadStart.at) / 1000;
    result.load = {
      targetWritesPerSecond: args.rate, seconds, writes: end.sent, achievedWritesPerSecond: Math.round((end.sent - loadStart.sent) / seconds),
      datasetKeyWrites: end.dataset, datasetShare: Math.round((100 * end.dataset) / Math.max(1, end.sent)) / 100, ...stats,
    };
    check('load: no command errors', stats.errors === 0, `${stats.errors} errors`);
    const lag = percentiles(await lagSampler.stop());
    lagSampler = null;
    result.daemon = { lagMsUnderLoad: lag, peakRssMb: peakRssMb(daemon.child.pid!) };
    const st = daemon.status();
    check('daemon still Synchronizing after the run', st?.state === 'Synchronizing', st?.state);
    await caughtUpAll(daemon, src, 120_000);
    result.loadavgEnd = la();
    return { result, checks };
  } catch (err) {
    check(`${topology} run completed`, false, (err as Error).stack ?? String(err));
    result.error = (err as Error).message;
    if (daemon) result.daemonOutputTail = daemon.output().split('\n').slice(-30).join('\n');
    return { result, checks };
  } finally {
    if (lagSampler) await lagSampler.stop().catch(() => undefined);
    if (load) await load.stop().catch(() => undefined);
    if (daemon) {
      await daemon.kill('SIGTERM').catch(() => undefined);
      removeDir(dirname(daemon.specPath));
    }
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  }
}

/** The heartbeat lag of every stream each time the status file is rewritten, until stopped (bounded: 2 h). */
function sampleLag(d: Daemon): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let stopped = false;
  const done = (async () => {
    let last = '';
    for (let i = 0; i < 72_000 && !stopped; i++) {
      const st = d.status();
      if (st && st.updatedAt !== last) {
        last = st.updatedAt;
        for (const n of st.nodes) if (n.lagMs !== null) samples.push(n.lagMs);
      }
      await sleep(100);
    }
  })();
  return { async stop() { stopped = true; await done; return samples; } };
}

/** The busiest processes now (ps), to tell this run's own load from other work on the machine. */
function busiest(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pid,pcpu,args', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(1, 7).map((l) => l.trim().slice(0, 120)).filter(Boolean);
  } catch { return []; }
}

function gitHead(): string {
  try { return execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

function redisVersion(): string {
  try { return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const report: Record<string, unknown> = {
    date: started.toISOString(),
    gitHead: gitHead(),
    command: `node dist/bench/verify-online.js ${process.argv.slice(2).join(' ')}`.trim(),
    args: { keys: args.keys, rate: args.rate, topologies: args.topologies, sample: args.sample },
    machine: { cores: cpus().length, loadavgStart: la(), busiestAtStart: busiest(), node: process.version, redis: redisVersion() },
    runs: [] as unknown[],
  };
  const all: Check[] = [];
  for (const t of args.topologies) {
    const { result, checks } = await runTopology(t, args);
    (report.runs as unknown[]).push({ ...result, checks, ok: checks.every((c) => c.ok) });
    all.push(...checks.map((c) => ({ ...c, name: `${t}: ${c.name}` })));
  }
  Object.assign(report.machine as Record<string, unknown>, { loadavgEnd: la(), busiestAtEnd: busiest() });
  report.totalSeconds = (Date.now() - started.getTime()) / 1000;
  report.ok = all.every((c) => c.ok);
  report.failedChecks = all.filter((c) => !c.ok);
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `verify-online-${started.toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${report.ok ? 'all checks passed' : `${all.filter((c) => !c.ok).length} check(s) FAILED`}; wrote ${file}`);
  if (!report.ok) process.exitCode = 1;
}

if (isMainThread) {
  // A signal ends the process through 'exit', where the harness kills what it started (servers, daemons).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  main().then(() => process.exit(process.exitCode ?? 0), (err) => { console.error(err); process.exit(1); });
} else if ((workerData as LoadData | undefined)?.kind === 'load') {
  loadWorker(workerData as LoadData).catch((err) => { console.error('load worker:', err); process.exit(1); });
}
