// The task's lease on its destination: who runs the task now (host, pid, since), renewed while the daemon runs and
// expiring when it does not. It is what `pulumi up`, `refresh` and `redis-sync status` on any machine see, and what
// makes a second daemon of the task refuse to start. It is liveness, not safety: a paused owner may still believe it
// holds it. Safety is the fence on the checkpoint (task/fence.ts), which the destination checks with every write.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { leaseKey, statusKey, stopKey } from './task-keys';
import { isAlive } from './process-alive';

export interface LeaseHolder {
  task: string;
  /** The daemon (a supervisor and its restarted workers keep one owner). */
  owner: string;
  /** The process that writes now: its token is in the checkpoint it writes (the fence). */
  writer: string;
  host: string;
  /** The daemon's pid (the supervisor's, for a detached daemon) and the writing process's. */
  pid: number;
  workerPid?: number;
  stateDir: string | null;
  since: string;
  renewedAt: string;
  ttlMs: number;
}

/** The part of ioredis's Redis and Cluster the lease needs. */
export interface ScriptClient {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

export const DEFAULT_LEASE_MS = 15_000;

export function leaseMs(): number {
  return Number(process.env.REDIS_SYNC_LEASE_MS) || DEFAULT_LEASE_MS;
}

export function newToken(): string {
  return randomBytes(8).toString('hex');
}

// Tokens are random hex, so a plain substring search for the quoted field is exact and needs no cjson.
// A stop requested while this owner held the lease still holds for its restarted worker; a new owner starts afresh.
const ACQUIRE = `local cur = redis.call('GET', KEYS[1])
if cur and string.find(cur, ARGV[1], 1, true) == nil then return cur end
if cur and redis.call('EXISTS', KEYS[2]) == 1 then return 'STOP' end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 'OK'`;

// Renewal also publishes the status, so a daemon that lost the lease can never overwrite its successor's status.
const RENEW = `local cur = redis.call('GET', KEYS[1])
if cur and string.find(cur, ARGV[1], 1, true) == nil then return cur end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'STOP' end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4]) end
return 'OK'`;

const TAKE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 'OK'`;

/** A holder on this host whose processes are all gone: it cannot write, whatever its lease says. */
export function isDeadHere(h: LeaseHolder): boolean {
  return h.host === hostname() && !isAlive(h.pid) && (h.workerPid === undefined || !isAlive(h.workerPid));
}

const RELEASE = `local cur = redis.call('GET', KEYS[1])
if cur and string.find(cur, ARGV[1], 1, true) then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

export function parseHolder(text: string | null): LeaseHolder | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as LeaseHolder;
    return typeof v.owner === 'string' && typeof v.writer === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** "host H pid P since T": where a task runs, for messages. */
export function describeHolder(h: LeaseHolder): string {
  return `host ${h.host} pid ${h.pid} since ${h.since}${h.stateDir ? ` (state dir ${h.stateDir})` : ''}`;
}

export class LeaseHeldError extends Error {
  readonly retryable = false;
  constructor(readonly task: string, readonly holder: LeaseHolder) {
    super(`task ${task} is already running on ${describeHolder(holder)}: stop it there (redis-sync stop ${task}, or pulumi destroy of its stack), or wait until its lease expires (${Math.round(holder.ttlMs / 1000)} s after it stops renewing)`);
    this.name = 'LeaseHeldError';
  }
}

export interface LeaseOptions {
  task: string;
  owner: string;
  writer: string;
  stateDir: string | null;
  ttlMs?: number;
}

export class TaskLease {
  private readonly key: string;
  private readonly since = new Date().toISOString();
  readonly ttlMs: number;

  constructor(private readonly client: ScriptClient, private readonly o: LeaseOptions) {
    this.key = leaseKey(o.task);
    this.ttlMs = o.ttlMs ?? leaseMs();
  }

  private value(): string {
    const v: LeaseHolder = {
      task: this.o.task, owner: this.o.owner, writer: this.o.writer, host: hostname(), pid: Number(process.env.REDIS_SYNC_SUPERVISOR_PID) || process.pid, workerPid: process.pid,
      stateDir: this.o.stateDir, since: this.since, renewedAt: new Date().toISOString(), ttlMs: this.ttlMs,
    };
    return JSON.stringify(v);
  }

  /**
   * Takes the lease when it is free or already this owner's (a restarted worker); 'stop' when this owner was asked
   * to stop; throws LeaseHeldError when another daemon holds it.
   */
  async acquire(): Promise<'ok' | 'stop'> {
    const r = await this.client.eval(ACQUIRE, 2, this.key, stopKey(this.o.task), `"owner":"${this.o.owner}"`, this.value(), this.ttlMs);
    if (r === 'STOP') return 'stop';
    if (r === 'OK') return 'ok';
    const holder = parseHolder(String(r));
    // A holder on this host whose processes are gone (kill -9) cannot write: no need to wait for its lease to expire.
    if (holder && isDeadHere(holder) && (await this.client.eval(TAKE, 1, this.key, String(r), this.value(), this.ttlMs)) === 'OK') return 'ok';
    throw new LeaseHeldError(this.o.task, parseHolder(String(r)) ?? unknownHolder(this.o.task));
  }

  /**
   * Extends the lease and publishes the status (JSON, '' for none). Resolves 'stop' when a stop was requested from
   * anywhere (requestStop); throws LeaseHeldError when another daemon holds the lease.
   */
  async renew(status = ''): Promise<'ok' | 'stop'> {
    const r = await this.client.eval(RENEW, 3, this.key, statusKey(this.o.task), stopKey(this.o.task), `"writer":"${this.o.writer}"`, this.value(), this.ttlMs, status);
    if (r === 'STOP') return 'stop';
    if (r === 'OK') return 'ok';
    throw new LeaseHeldError(this.o.task, parseHolder(String(r)) ?? unknownHolder(this.o.task));
  }

  async release(): Promise<void> {
    await this.client.eval(RELEASE, 1, this.key, `"writer":"${this.o.writer}"`);
  }
}

function unknownHolder(task: string): LeaseHolder {
  return { task, owner: '?', writer: '?', host: 'unknown', pid: 0, stateDir: null, since: 'unknown', renewedAt: 'unknown', ttlMs: 0 };
}

/**
 * Asks the daemon that runs the task, wherever it runs, to stop (it sees the request at its next renewal, flushes,
 * saves and gives the lease back). The request expires by itself, so a task started later is not stopped by it.
 */
export async function requestStop(client: ScriptClient & { set(key: string, value: string, px: 'PX', ms: number): Promise<unknown> }, task: string, ttlMs = 60_000): Promise<void> {
  await client.set(stopKey(task), new Date().toISOString(), 'PX', ttlMs);
}

/** The live holder of a task's lease, or null when no daemon runs it. */
export async function readLease(client: ScriptClient, task: string): Promise<LeaseHolder | null> {
  return parseHolder(await client.get(leaseKey(task)));
}
