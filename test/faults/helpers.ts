// Shared by the fault tests: task specs, a supervised daemon (the way `pulumi up` starts it), waiting for states and
// offsets, and the end-of-test oracle (verify consistent, no key lost).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, type RedisServer } from '../harness/redis';
import { spawnDaemon, stopDaemon, readStatus, workerPid, isAlive, type SupervisorOptions } from '../../provider/daemon/daemon-process';
import type { TaskSpec } from '../../provider/spec/types';
import type { TaskStatus } from '../../provider/state/status';
import type { StatusSource } from '../harness/sync';

export { taskSpec, masterOffset, caughtUp, assertConsistent, type Endpoint, type StatusSource } from '../harness/sync';

/** A supervisor that restarts a killed worker at once, however often (the kill -9 tests). */
export const CRASH_TOLERANT = { crashLimit: 1000, restartMinMs: 50, restartMaxMs: 200 };

export async function masterReplid(s: RedisServer): Promise<string> {
  const info = await s.client().info('replication');
  return /master_replid:(\w+)/.exec(info)![1];
}

export async function waitStatus(d: StatusSource, pred: (s: TaskStatus) => boolean, timeoutMs: number, what: string): Promise<TaskStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskStatus | null = null;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    last = d.status();
    if (last && pred(last)) return last;
    await sleep(25);
  }
  throw new Error(`not reached within ${timeoutMs} ms: ${what}; last status: ${JSON.stringify(last)}`);
}

/** Waits until the stream is synchronizing again after a reconnect, and asserts it resumed with +CONTINUE. */
export async function resumedWithContinue(d: StatusSource, timeoutMs: number, what: string, why?: string): Promise<TaskStatus> {
  const st = await waitStatus(d, (s) => s.state === 'Synchronizing' && s.nodes[0].reconnects > 0, timeoutMs, what);
  assert.equal(st.nodes[0].lastSync, 'continue', why);
  return st;
}

const supervisors = new Set<number>();
process.on('exit', () => {
  for (const pid of supervisors) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

/** A daemon started the way the Pulumi provider starts it: the supervisor, detached, spec over stdin. */
export interface Supervised extends StatusSource {
  pid: number;
  stateDir: string;
  task: string;
  workerPid(): number | null;
  /** Waits for a worker other than `not` (the one just killed) to be running. */
  nextWorker(not: number | null, timeoutMs?: number): Promise<number>;
  log(): string;
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

export async function startSupervised(spec: TaskSpec, opts: { stateDir?: string; args?: string[]; supervisor?: Partial<SupervisorOptions> } = {}): Promise<Supervised> {
  const stateDir = opts.stateDir ?? join(mkdtempSync(join(tmpdir(), 'redis-sync-fault-')), 'state');
  const pid = await spawnDaemon(spec, stateDir, opts.args ?? ['--skip-prechecks'], opts.supervisor ?? {});
  supervisors.add(pid);
  const logPath = join(stateDir, spec.name, 'daemon.log');
  const s: Supervised = {
    pid, stateDir, task: spec.name,
    status: () => {
      try {
        const st = readStatus(stateDir, spec.name);
        return st && st.pid === pid ? st : null;
      } catch { return null; }
    },
    workerPid: () => workerPid(stateDir, spec.name),
    async nextWorker(not, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const w = workerPid(stateDir, spec.name);
        if (w && w !== not) return w;
        await sleep(10);
      }
      throw new Error(`no new worker within ${timeoutMs} ms; status ${JSON.stringify(s.status())}`);
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    async stop(graceMs = 20_000) {
      await stopDaemon(stateDir, spec.name, graceMs);
      supervisors.delete(pid);
    },
    alive: () => isAlive(pid),
  };
  return s;
}

export function removeStateDir(stateDir: string): void {
  rmSync(join(stateDir, '..'), { recursive: true, force: true });
}

/** Sums INCR counters and RPUSH list lengths in db 0 of one server: a replayed write shows as a larger number. */
export async function tally(s: RedisServer, prefix: string, keys: number): Promise<{ counters: number; elements: number }> {
  const c = s.client();
  const p = c.pipeline();
  p.select(0);
  for (let i = 0; i < keys; i++) { p.get(`${prefix}:c:${i}`); p.llen(`${prefix}:l:${i}`); }
  const r = (await p.exec())!;
  let counters = 0;
  let elements = 0;
  for (let i = 0; i < keys; i++) {
    counters += Number(r[1 + 2 * i][1] ?? 0);
    elements += Number(r[2 + 2 * i][1] ?? 0);
  }
  return { counters, elements };
}

/** A bounded load of INCR and RPUSH only, each element unique, so any duplicate or loss is counted exactly. */
export async function countingLoad(c: ReturnType<RedisServer['client']>, prefix: string, keys: number, opts: { durationMs: number; maxCommands: number; batch?: number; stop?: () => boolean }): Promise<number> {
  return (await recordedLoad(c, prefix, keys, opts)).reduce((n, b) => n + b.counters + b.elements, 0);
}

/** One pipeline of a recordedLoad: when it was sent and answered, and what it added. */
export interface LoadBatch { sentAt: number; ackedAt: number; counters: number; elements: number }

/**
 * countingLoad's pipelines (one in flight at a time), each recorded with its send and reply times: the state of the
 * source after any prefix of the load is known, so a copy taken at a pause can be matched against the prefixes that
 * the pause's time window allows.
 */
export async function recordedLoad(c: ReturnType<RedisServer['client']>, prefix: string, keys: number, opts: { durationMs: number; maxCommands: number; batch?: number; stop?: () => boolean }): Promise<LoadBatch[]> {
  const deadline = Date.now() + opts.durationMs;
  const batches: LoadBatch[] = [];
  let sent = 0;
  while (sent < opts.maxCommands && Date.now() < deadline && !(opts.stop?.() ?? false)) {
    const p = c.pipeline();
    p.select(0);
    const b: LoadBatch = { sentAt: Date.now(), ackedAt: 0, counters: 0, elements: 0 };
    for (let i = 0; i < (opts.batch ?? 20) && sent < opts.maxCommands; i++, sent++) {
      const k = sent % keys;
      if (sent % 2 === 0) { p.incr(`${prefix}:c:${k}`); b.counters++; } else { p.rpush(`${prefix}:l:${k}`, `e${sent}`); b.elements++; }
    }
    await p.exec();
    b.ackedAt = Date.now();
    batches.push(b);
  }
  return batches;
}

/**
 * The totals after each prefix of the load whose cut can lie in [from, to]: every batch answered before `from` is
 * in, every batch sent after `to` is out, the ones in between may go either way (in load order).
 */
export function prefixTotalsWithin(batches: LoadBatch[], from: number, to: number): Array<{ counters: number; elements: number }> {
  const out: Array<{ counters: number; elements: number }> = [];
  let counters = 0;
  let elements = 0;
  let i = 0;
  for (; i < batches.length && batches[i].ackedAt < from; i++) { counters += batches[i].counters; elements += batches[i].elements; }
  out.push({ counters, elements });
  for (; i < batches.length && batches[i].sentAt <= to; i++) {
    counters += batches[i].counters;
    elements += batches[i].elements;
    out.push({ counters, elements });
  }
  return out;
}

/**
 * kill -9 of the next worker at a random moment (up to 2 s) after its full sync started (or after it is done, if it
 * was quick): that worker, and the status it published just before.
 */
export async function killInFullSync(d: Supervised, previous: number | null, rnd: () => number): Promise<{ worker: number; status: TaskStatus | null; waitedMs: number }> {
  const worker = await d.nextWorker(previous);
  const since = Date.now();
  await waitStatus(d, (s) => Date.parse(s.startedAt) >= since - 200 && (s.nodes[0].fullSync.startedAt !== null || s.state === 'Synchronizing'), 20_000, 'the full sync to start');
  await sleep(Math.floor(rnd() * 2000));
  const status = d.status();
  const waitedMs = Date.now() - since;
  try { process.kill(worker, 'SIGKILL'); } catch { /* it crashed by itself: the next check says so */ }
  return { worker, status, waitedMs };
}
