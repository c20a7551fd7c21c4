// A longer, time-bounded fuzz run over both parsers the daemon feeds with bytes from the network: the replication
// stream's RESP command parser and the RDB reader (with the canonical decoder behind it).
//
//   node dist/bench/fuzz.js [seconds=60] [seed=1]
//   node dist/bench/fuzz.js replay SEED CASE        one case alone (its input as base64)
//
// Each case is derived from (seed, case number) only, so any case reproduces alone. A case is a mutated seed input
// (truncation, random bytes, length-encoding edge values, insertion, splice of two inputs) fed in random chunk sizes.
// Outcomes: parsed, the parser's own error (RdbError / RespProtocolError: fine), or a failure: any other exception,
// a case slower than the hang bound (the worker running the cases is killed by a watchdog and the run continues after
// that case), or memory that keeps growing (heap after a full GC, at the start and the end of the run).
// Figures are printed and written to bench/results/fuzz.json.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { prng } from '../test/harness/dataset';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RdbReader } from '../provider/rdb/reader';
import { RdbError } from '../provider/rdb/errors';
import { CanonicalBuilder } from '../provider/rdb/canonical';
import { CommandParser, RespProtocolError } from '../provider/resp/command-parser';
import { encodeCommand } from '../provider/resp/encode';

type Target = 'rdb' | 'resp';
const TARGETS: Target[] = ['rdb', 'resp'];
const HANG_MS = 5_000;
const SLOW_MS = 500;
const MAX_RDB_SEED_BYTES = 256 * 1024;
const MAX_SAMPLES = 20;

interface Tally {
  cases: number;
  parsed: number;
  parserErrors: number;
  failures: number;
  hangs: number;
  slow: number;
  maxCaseMs: number;
  /** The slowest case's number, to replay it alone. */
  slowestCase: number;
  bytes: number;
}

interface Failure {
  target: Target;
  case: number;
  kind: 'exception' | 'hang' | 'memory';
  error: string;
  inputBase64?: string;
}

function newTally(): Tally {
  return { cases: 0, parsed: 0, parserErrors: 0, failures: 0, hangs: 0, slow: 0, maxCaseMs: 0, slowestCase: -1, bytes: 0 };
}


/** The PRNG of one case: a function of the run's seed and the case number only. */
function caseRng(seed: number, n: number): () => number {
  return prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0);
}

function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'provider'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The RDB seeds: the repository's fixture files (small ones), else a tiny hand-made RDB. */
function rdbSeeds(): Buffer[] {
  const dir = join(repoRoot(), 'test', 'fixtures', 'rdb');
  const out: Buffer[] = [];
  try {
    const files = (JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { files: Array<{ file: string }> }).files;
    for (const f of files) {
      const p = join(dir, f.file);
      if (existsSync(p) && statSync(p).size <= MAX_RDB_SEED_BYTES) out.push(readFileSync(p));
    }
  } catch { /* no fixtures */ }
  if (out.length === 0) {
    // REDIS0009, SELECTDB 0, "k" -> "v", EOF, no checksum.
    out.push(Buffer.concat([Buffer.from('REDIS0009'), Buffer.from([0xfe, 0x00, 0x00, 0x01, 0x6b, 0x01, 0x76, 0xff]), Buffer.alloc(8)]));
  }
  return out.filter((b) => b.length > 10);
}

/** The RESP seeds: replication streams of every shape the master sends, plus inline and empty lines. */
function respSeeds(): Buffer[] {
  const cmds = [
    ['SELECT', '0'], ['SET', 'key', 'value'], ['PING'], ['REPLCONF', 'GETACK', '*'], ['MULTI'], ['INCR', 'counter'], ['EXEC'],
    ['RPUSH', 'list', 'a', 'b', 'c'], ['HSET', 'h', 'f', 'v'.repeat(300)], ['XADD', 's', '1-1', 'f', 'v'], ['EVAL', 'return 1', '0'],
    ['SET', Buffer.from([0, 1, 2, 0xff, 13, 10]).toString('latin1'), 'bin'], ['DEL', 'a', 'b', 'c', 'd'], ['EXPIRE', 'k', '100'],
  ];
  const stream = Buffer.concat(cmds.map((c) => encodeCommand(c)));
  return [
    stream,
    Buffer.concat([Buffer.from('\n\n'), stream, Buffer.from('PING\r\n')]),
    encodeCommand(['SET', 'big', 'x'.repeat(70_000)]),
    Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeCommand(['SET', `k${i}`, `v${i}`]))),
  ];
}

const EDGE = [0x00, 0x01, 0x0d, 0x0a, 0x24, 0x2a, 0x2d, 0x30, 0x39, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff];

function mutate(seeds: Buffer[], rnd: () => number, headerBytes: number): Buffer {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const src = seeds[pick(seeds.length)];
  const from = Math.min(headerBytes, src.length - 1);
  switch (pick(6)) {
    case 0:
      return src.subarray(0, pick(src.length));
    case 1: {
      const out = Buffer.from(src);
      for (let i = 0, n = 1 + pick(8); i < n; i++) out[from + pick(out.length - from)] = pick(256);
      return out;
    }
    case 2: {
      const out = Buffer.from(src);
      for (let i = 0, n = 1 + pick(3); i < n; i++) out[from + pick(out.length - from)] = EDGE[pick(EDGE.length)];
      return out;
    }
    case 3: {
      const at = pick(src.length);
      return Buffer.concat([src.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(16) }, () => (rnd() < 0.5 ? EDGE[pick(EDGE.length)] : pick(256)))), src.subarray(at)]);
    }
    case 4: {
      const other = seeds[pick(seeds.length)];
      return Buffer.concat([src.subarray(0, pick(src.length)), other.subarray(pick(other.length))]);
    }
    default: {
      // A run of bytes removed.
      const at = pick(src.length);
      return Buffer.concat([src.subarray(0, at), src.subarray(Math.min(src.length, at + 1 + pick(64)))]);
    }
  }
}

/** Runs one case; returns 'parsed' or 'parser-error', throws anything else. */
function runCase(target: Target, input: Buffer, rnd: () => number): 'parsed' | 'parser-error' {
  const chunk = rnd() < 0.4 ? input.length || 1 : 1 + Math.floor(rnd() * 97);
  if (target === 'rdb') {
    const reader = new RdbReader({ verifyChecksum: rnd() < 0.3, bigKeyBytes: rnd() < 0.3 ? 64 : undefined });
    const canonical = new CanonicalBuilder();
    try {
      for (let p = 0; p < input.length; p += chunk) for (const e of reader.push(input.subarray(p, p + chunk))) canonical.add(e);
      for (const e of reader.end()) canonical.add(e);
      canonical.result();
      return 'parsed';
    } catch (err) {
      if (err instanceof RdbError) return 'parser-error';
      throw err;
    }
  }
  const parser = new CommandParser(Math.floor(rnd() * 1_000_000), { maxBulkLength: 1 << 20, maxCommandBytes: 4 << 20 });
  try {
    for (let p = 0; p < input.length; p += chunk) {
      parser.push(input.subarray(p, p + chunk));
      for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) {
        if (cmd.offset > parser.receivedOffset) throw new Error(`command offset ${cmd.offset} past the bytes received ${parser.receivedOffset}`);
      }
    }
    return 'parsed';
  } catch (err) {
    if (err instanceof RespProtocolError) return 'parser-error';
    throw err;
  }
}

function fullGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

// ---- worker: runs cases from `start` until told to stop; reports progress through shared memory ----

interface WorkerInput { seed: number; start: number; deadline: number; state: SharedArrayBuffer }

function workerMain(): void {
  const { seed, start, deadline, state } = workerData as WorkerInput;
  // state: [0] case number being run, [1] its start time (ms since deadline - 1e9, to fit), as Float64.
  const shared = new Float64Array(state);
  const seeds: Record<Target, Buffer[]> = { rdb: rdbSeeds(), resp: respSeeds() };
  const tallies: Record<Target, Tally> = { rdb: newTally(), resp: newTally() };
  const failures: Failure[] = [];
  const gc = fullGc();
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  let n = start;
  for (; Date.now() < deadline; n++) {
    const target = TARGETS[n % TARGETS.length];
    const rnd = caseRng(seed, n);
    const input = mutate(seeds[target], rnd, target === 'rdb' ? 9 : 0);
    shared[0] = n;
    shared[1] = Date.now();
    const t = tallies[target];
    const t0 = performance.now();
    try {
      if (runCase(target, input, rnd) === 'parsed') t.parsed++;
      else t.parserErrors++;
    } catch (err) {
      t.failures++;
      if (failures.length < MAX_SAMPLES) {
        const e = err as Error;
        failures.push({ target, case: n, kind: 'exception', error: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`.slice(0, 500), inputBase64: input.subarray(0, 4096).toString('base64') });
      }
    }
    const ms = performance.now() - t0;
    t.cases++;
    t.bytes += input.length;
    if (ms > t.maxCaseMs) { t.maxCaseMs = ms; t.slowestCase = n; }
    if (ms > SLOW_MS) t.slow++;
    if ((n & 1023) === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }
  shared[0] = -1;
  gc?.();
  const heapEnd = process.memoryUsage().heapUsed;
  parentPort!.postMessage({ next: n, tallies, failures, heapStart, heapEnd, heapPeak: Math.max(heapPeak, heapEnd), gc: gc !== null });
}

// ---- main: the watchdog and the report ----

interface WorkerResult { next: number; tallies: Record<Target, Tally>; failures: Failure[]; heapStart: number; heapEnd: number; heapPeak: number; gc: boolean }

function runWorker(seed: number, start: number, deadline: number): Promise<{ result: WorkerResult | null; hungCase: number | null }> {
  const state = new SharedArrayBuffer(16);
  const shared = new Float64Array(state);
  shared[0] = -1;
  const worker = new Worker(__filename, { workerData: { seed, start, deadline, state } satisfies WorkerInput });
  return new Promise((resolveRun) => {
    let result: WorkerResult | null = null;
    let hungCase: number | null = null;
    const watchdog = setInterval(() => {
      if (shared[0] >= 0 && Date.now() - shared[1] > HANG_MS) {
        hungCase = shared[0];
        clearInterval(watchdog);
        void worker.terminate();
      }
    }, 100);
    worker.on('message', (m: WorkerResult) => { result = m; });
    worker.on('error', (err) => {
      hungCase ??= shared[0] >= 0 ? shared[0] : start;
      process.stderr.write(`fuzz worker error: ${err.message}\n`);
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      resolveRun({ result, hungCase });
    });
  });
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const seed = Number(process.argv[3] ?? 1);
  if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
    process.stderr.write('usage: node dist/bench/fuzz.js [seconds>0] [integer seed]\n');
    process.exit(2);
  }
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const totals: Record<Target, Tally> = { rdb: newTally(), resp: newTally() };
  const failures: Failure[] = [];
  const heap: Array<{ start: number; end: number; peak: number }> = [];
  let next = 0;
  let gcAvailable = false;
  while (Date.now() < deadline) {
    const { result, hungCase } = await runWorker(seed, next, deadline);
    if (result) {
      for (const t of TARGETS) {
        const a = totals[t];
        const b = result.tallies[t];
        a.cases += b.cases; a.parsed += b.parsed; a.parserErrors += b.parserErrors; a.failures += b.failures;
        a.slow += b.slow; a.bytes += b.bytes;
        if (b.maxCaseMs > a.maxCaseMs) { a.maxCaseMs = b.maxCaseMs; a.slowestCase = b.slowestCase; }
      }
      failures.push(...result.failures.slice(0, MAX_SAMPLES - failures.length));
      heap.push({ start: result.heapStart, end: result.heapEnd, peak: result.heapPeak });
      gcAvailable ||= result.gc;
      next = result.next;
    }
    if (hungCase !== null) {
      const target = TARGETS[hungCase % TARGETS.length];
      totals[target].hangs++;
      totals[target].cases++;
      const input = mutate(target === 'rdb' ? rdbSeeds() : respSeeds(), caseRng(seed, hungCase), target === 'rdb' ? 9 : 0);
      if (failures.length < MAX_SAMPLES) failures.push({ target, case: hungCase, kind: 'hang', error: `no result within ${HANG_MS} ms`, inputBase64: input.subarray(0, 4096).toString('base64') });
      next = hungCase + 1;
    }
    if (!result && hungCase === null) break;
  }
  const elapsed = (Date.now() - started) / 1000;
  // Memory: retained heap after a full GC at the end of each worker, compared with its start.
  const growth = heap.length ? Math.max(...heap.map((h) => h.end - h.start)) : 0;
  const memoryGrowthLimit = 64 * 1024 * 1024;
  if (growth > memoryGrowthLimit) failures.push({ target: 'rdb', case: -1, kind: 'memory', error: `retained heap grew by ${(growth / 1048576).toFixed(1)} MiB over the run` });
  const failed = TARGETS.reduce((s, t) => s + totals[t].failures + totals[t].hangs, 0) + (growth > memoryGrowthLimit ? 1 : 0);
  const report = {
    date: new Date().toISOString(),
    seconds: Number(elapsed.toFixed(1)),
    seed,
    hangBoundMs: HANG_MS,
    targets: Object.fromEntries(TARGETS.map((t) => [t, { ...totals[t], maxCaseMs: Number(totals[t].maxCaseMs.toFixed(1)), casesPerSecond: Math.round(totals[t].cases / elapsed) }])),
    memory: {
      gcAvailable,
      heapStartMiB: heap.length ? Number((heap[0].start / 1048576).toFixed(1)) : null,
      heapEndMiB: heap.length ? Number((heap[heap.length - 1].end / 1048576).toFixed(1)) : null,
      heapPeakMiB: heap.length ? Number((Math.max(...heap.map((h) => h.peak)) / 1048576).toFixed(1)) : null,
      maxRetainedGrowthMiB: Number((growth / 1048576).toFixed(2)),
    },
    failed,
    failures,
  };
  for (const t of TARGETS) {
    const x = totals[t];
    process.stdout.write(`${t.padEnd(5)} ${String(x.cases).padStart(9)} inputs (${Math.round(x.cases / elapsed)}/s, ${(x.bytes / 1048576).toFixed(1)} MiB): ${x.parsed} parsed, ${x.parserErrors} parser errors, ${x.failures} other exceptions, ${x.hangs} hangs > ${HANG_MS} ms, ${x.slow} slower than ${SLOW_MS} ms (max ${x.maxCaseMs.toFixed(1)} ms, case ${x.slowestCase})\n`);
  }
  process.stdout.write(`heap: ${report.memory.heapStartMiB} MiB at the start, ${report.memory.heapEndMiB} MiB at the end (after GC: ${gcAvailable}), peak ${report.memory.heapPeakMiB} MiB; retained growth ${report.memory.maxRetainedGrowthMiB} MiB\n`);
  process.stdout.write(`${failed === 0 ? 'no failures' : `${failed} failure(s), first: ${JSON.stringify(failures[0]).slice(0, 400)}`} in ${elapsed.toFixed(1)} s with seed ${seed}\n`);
  const out = join(repoRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'fuzz.json'), JSON.stringify(report, null, 2) + '\n');
  process.exitCode = failed === 0 ? 0 : 1;
}

/** `node dist/bench/fuzz.js replay SEED CASE`: runs one case alone and says what it is and what it did. */
function replay(seed: number, n: number): void {
  const target = TARGETS[n % TARGETS.length];
  const rnd = caseRng(seed, n);
  const input = mutate(target === 'rdb' ? rdbSeeds() : respSeeds(), rnd, target === 'rdb' ? 9 : 0);
  const t0 = performance.now();
  let outcome: string;
  try {
    outcome = runCase(target, input, rnd);
  } catch (err) {
    outcome = `exception ${(err as Error).stack ?? String(err)}`;
  }
  process.stdout.write(`${target} case ${n} (seed ${seed}): ${input.length} bytes, ${outcome}, ${(performance.now() - t0).toFixed(1)} ms\n${input.subarray(0, 4096).toString('base64')}\n`);
}

if (isMainThread && process.argv[2] === 'replay') {
  replay(Number(process.argv[3]), Number(process.argv[4]));
} else if (isMainThread) {
  main().catch((err: Error) => {
    process.stderr.write(`fuzz: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
} else {
  workerMain();
}
