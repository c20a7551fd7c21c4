// What the prechecks need to know about one server, read over the control plane (ioredis).
import Redis, { type Cluster } from 'ioredis';
import type { NodeAddress } from '../spec/types';
import { formatHostPort } from '../spec/address';
import { explainTlsError, tlsOptions } from '../spec/tls-options';
import { parseServerInfo, type ServerInfo } from '../writer/dialect/server-info';

export interface NodeFacts {
  node: string;
  error: string | null;
  /** The Redis release whose commands it speaks (redis_version; 7.2.4 for Valkey 8). */
  version: string;
  /** Redis or Valkey, and its own release; absent: Redis `version`. */
  server?: ServerInfo;
  runId: string;
  clusterEnabled: boolean;
  role: string;
  masterHost: string | null;
  masterPort: number | null;
  usedMemory: number;
  maxmemory: number;
  maxmemoryPolicy: string | null;
  replTimeout: number | null;
  replBacklogSize: number | null;
  /** Keys per db from INFO keyspace. */
  keyspace: Map<number, number>;
  psyncAvailable: boolean | null;
  /** A replica's master_link_status is up; null for a master. */
  masterLinkUp?: boolean | null;
  /** The name the node was asked about for psyncAvailable. */
  psyncCommand: string;
}

function field(info: string, name: string): string | null {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : null;
}

function parseKeyspace(info: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of info.matchAll(/^db(\d+):keys=(\d+)/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

async function configGet(c: Redis, name: string): Promise<string | null> {
  try {
    const r = (await c.config('GET', name)) as string[];
    return r.length >= 2 ? r[1] : null;
  } catch {
    return null; // CONFIG may be renamed or forbidden on managed services
  }
}

/** name: what the source calls PSYNC (source.psyncCommand). */
async function psyncAvailable(c: Redis, name: string): Promise<boolean | null> {
  try {
    const r = (await c.call('COMMAND', 'INFO', name)) as unknown[];
    return Array.isArray(r) && r[0] !== null;
  } catch {
    return null; // COMMAND INFO unknown (Redis < 2.8.13) or forbidden
  }
}

export function connectionError(err: Error, node: string, side = 'the endpoint', addr?: NodeAddress): string {
  const tls = explainTlsError(err, side, node, addr ?? { tls: false });
  if (tls) return tls;
  const m = err.message;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(m)) return `authentication failed on ${node}: check the username and password`;
  if (/NOAUTH/i.test(m)) return `${node} requires a password: set "password" in the spec`;
  if (/ECONNREFUSED/.test(m)) return `cannot connect to ${node}: connection refused (is Redis running on that port?)`;
  if (/ETIMEDOUT|timed? ?out/i.test(m)) return `cannot connect to ${node}: timed out (check the host, port and firewall)`;
  if (/ENOTFOUND|EAI_AGAIN/.test(m)) return `cannot resolve the host of ${node}: check the host name (or use its IP address)`;
  // ioredis reports a refused connection of a client that does not retry as "Connection is closed."
  if (/Connection is closed/i.test(m)) return `cannot connect to ${node}: the connection was refused or closed (is Redis running on that port? check the host, port and firewall)`;
  if (/without any password configured/i.test(m)) return `${node} has no password configured: remove "password" (and "username") from the spec`;
  return `cannot talk to ${node}: ${m}`;
}

const lastErrors = new WeakMap<Redis, Error>();

/** The error to explain: the client's own reason when ioredis only says the connection closed. */
export function errorCause(c: Redis, err: Error): Error {
  return /Connection is closed/i.test(err.message) ? lastErrors.get(c) ?? err : err;
}

/** A short-lived control-plane client that fails fast instead of retrying. */
export function controlClient(addr: NodeAddress, timeoutMs = 5000): Redis {
  const c = new Redis({
    host: addr.host, port: addr.port, username: addr.username, password: addr.password, tls: tlsOptions(addr),
    lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null,
  });
  // A client that does not retry rejects connect() with "Connection is closed."; the reason (WRONGPASS, ECONNREFUSED)
  // came in an error event just before, kept here for the message.
  c.on('error', (err: Error) => { lastErrors.set(c, err); });
  return c;
}

/**
 * A cluster client from seed nodes, with the first seed's credentials (every node of a cluster takes the same).
 * Errors are reported by the calls that fail, not as events: the caller disconnects it when done.
 */
export function clusterClient(seeds: NodeAddress[]): Cluster {
  const c = new Redis.Cluster(seeds.map((n) => ({ host: n.host, port: n.port })), {
    redisOptions: { username: seeds[0].username, password: seeds[0].password, tls: tlsOptions(seeds[0]) },
  });
  c.on('error', () => undefined);
  return c;
}

export async function withClient<T>(addr: NodeAddress, fn: (c: Redis) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = controlClient(addr, timeoutMs);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

export async function readNodeFacts(addr: NodeAddress, timeoutMs = 5000, side?: string): Promise<NodeFacts> {
  const node = formatHostPort(addr);
  const facts: NodeFacts = {
    node, error: null, version: '0.0.0', runId: '', clusterEnabled: false, role: 'master', masterHost: null, masterPort: null,
    usedMemory: 0, maxmemory: 0, maxmemoryPolicy: null, replTimeout: null, replBacklogSize: null, keyspace: new Map(), psyncAvailable: null,
    psyncCommand: addr.psyncCommand ?? 'PSYNC',
  };
  const c = controlClient(addr, timeoutMs);
  try {
    await c.connect();
    const info = await c.info();
    facts.server = parseServerInfo(info);
    facts.version = facts.server.redisVersion;
    facts.runId = field(info, 'run_id') ?? '';
    facts.clusterEnabled = field(info, 'cluster_enabled') === '1';
    facts.role = field(info, 'role') ?? 'master';
    facts.masterHost = field(info, 'master_host');
    facts.masterPort = Number(field(info, 'master_port') ?? NaN) || null;
    const link = field(info, 'master_link_status');
    facts.masterLinkUp = link === null ? null : link === 'up';
    facts.usedMemory = Number(field(info, 'used_memory') ?? 0);
    facts.maxmemory = Number(field(info, 'maxmemory') ?? 0);
    facts.maxmemoryPolicy = field(info, 'maxmemory_policy') ?? (await configGet(c, 'maxmemory-policy'));
    facts.keyspace = parseKeyspace(info);
    const rt = await configGet(c, 'repl-timeout');
    facts.replTimeout = rt === null ? null : Number(rt);
    const bl = await configGet(c, 'repl-backlog-size');
    facts.replBacklogSize = bl === null ? null : Number(bl);
    facts.psyncAvailable = await psyncAvailable(c, addr.psyncCommand ?? 'PSYNC');
  } catch (err) {
    facts.error = connectionError(errorCause(c, err as Error), node, side, addr);
  } finally {
    c.disconnect();
  }
  return facts;
}

/** Keys matching a pattern in the selected db (SCAN, bounded); stops early once `limit` keys are found. */
export async function scanMatch(c: Redis, pattern: string, limit = Infinity): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await c.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    found.push(...keys);
    cursor = next;
    if (cursor === '0' || found.length >= limit) break;
  }
  return found;
}
