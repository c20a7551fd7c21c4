// Starts and stops real redis-server processes on free loopback ports, each in its own temporary directory.
// Every server is registered so that a failing test still stops it (by pid) when the process exits.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import Redis from 'ioredis';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
export const HOST = '127.0.0.1';

export interface RedisServer {
  host: string;
  port: number;
  /** "127.0.0.1:port" */
  addr: string;
  dir: string;
  pid: number;
  password?: string;
  /** An ioredis client for this server (created on first use, closed by stop()). */
  client(): Redis;
  stop(): Promise<void>;
  /** Stops the process without removing its directory, so it can be started again with restart(). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

export interface StartOptions {
  /** redis.conf directives, e.g. { 'repl-backlog-size': '16kb', save: '' } */
  config?: Record<string, string>;
  password?: string;
  port?: number;
  /** Another redis-server binary (test/compat: a built Redis or Valkey release); default REDIS_SERVER_BIN. */
  bin?: string;
  /** The Redis release `bin` speaks ("2.8.24"): base directives it does not know are left out of its config. */
  version?: string;
  /** Run inside this network namespace, bound to its address (test/harness/netns-host.ts). */
  netns?: { name: string; address: string };
}

const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/** A port nobody listens on now (the OS picks it; a race with another process is possible but rare). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on port now. */
async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port for a server; a cluster node also needs its bus port (port + 10000) free and valid, else redis-server
 * exits at once (ephemeral ports go up to 60999, so a bus port can be over 65535).
 */
async function serverPort(cluster: boolean): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await freePort();
    if (!cluster || (port + 10000 <= 65535 && (await isFree(port + 10000)))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a cluster node after 100 tries');
}

/** Resolves once the port accepts connections; rejects at once if the server exited, or after timeoutMs. */
async function waitForPort(port: number, timeoutMs: number, exited: () => boolean, host = HOST): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline && !exited(); i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      // A port in the ephemeral range can connect to itself (TCP simultaneous open) while nothing listens there.
      s.once('connect', () => { const self = s.localPort === port; s.destroy(); resolve(!self); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`redis-server on ${HOST}:${port} ${exited() ? 'exited before accepting connections' : `did not accept connections within ${timeoutMs} ms`}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function configText(port: number, dir: string, opts: StartOptions): string {
  const base: Record<string, string> = {
    bind: opts.netns?.address ?? HOST,
    port: String(port),
    dir,
    dbfilename: 'dump.rdb',
    save: '""',
    appendonly: 'no',
    'protected-mode': 'no',
    logfile: join(dir, 'redis.log'),
    daemonize: 'no',
    'enable-debug-command': 'local',
  };
  if (opts.password) base.requirepass = opts.password;
  // An unknown directive stops an old server at startup.
  const [major, minor] = (opts.version ?? '99.0').split('.').map(Number);
  if (major < 7) delete base['enable-debug-command'];
  if (major < 3 || (major === 3 && minor < 2)) delete base['protected-mode'];
  const all = { ...base, ...(opts.config ?? {}) };
  return Object.entries(all).map(([k, v]) => `${k} ${v === '' ? '""' : v}`).join('\n') + '\n';
}

export async function startRedis(opts: StartOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-test-'));
  const confPath = join(dir, 'redis.conf');
  const cluster = opts.config?.['cluster-enabled'] === 'yes';
  let port = opts.port ?? (await serverPort(cluster));
  const host = opts.netns?.address ?? HOST;
  let clientInstance: Redis | undefined;
  let pid = 0;

  const launch = async (): Promise<void> => {
    writeFileSync(confPath, configText(port, dir, opts));
    const bin = opts.bin ?? REDIS_SERVER_BIN;
    // `ip netns exec` execs the server, so the pid is still redis-server's.
    const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns.name, bin, confPath]] : [bin, [confPath]];
    const child = spawn(cmd, argv, { stdio: 'ignore', detached: false });
    if (child.pid === undefined) throw new Error(`could not start ${bin}: is redis-server installed?`);
    pid = child.pid;
    running.add(pid);
    let exited = false;
    child.once('exit', () => { exited = true; running.delete(child.pid!); });
    child.unref();
    try {
      await waitForPort(port, 10_000, () => exited, host);
    } catch (err) {
      const log = existsSync(join(dir, 'redis.log')) ? readFileSync(join(dir, 'redis.log'), 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new Error(`${(err as Error).message}${log ? `; redis.log: ${log}` : ''}`);
    }
  };
  const killProcess = async (signal: NodeJS.Signals): Promise<void> => {
    clientInstance?.disconnect();
    clientInstance = undefined;
    if (!running.has(pid)) return;
    try { process.kill(pid, signal); } catch { running.delete(pid); return; }
    const deadline = Date.now() + 10_000;
    while (running.has(pid) && Date.now() < deadline) await sleep(10);
    if (running.has(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } running.delete(pid); }
  };

  // A port the OS called free can be taken before redis-server binds it (another test's connection): a new one then.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (opts.port !== undefined || attempt >= 3 || running.has(pid)) {
        if (!running.has(pid)) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await serverPort(cluster);
    }
  }
  const server: RedisServer = {
    host,
    port,
    addr: `${host}:${port}`,
    dir,
    get pid() { return pid; },
    password: opts.password,
    client() {
      if (!clientInstance) {
        clientInstance = new Redis({ host, port, password: opts.password, lazyConnect: false, maxRetriesPerRequest: 2 });
        // A server a test stopped on purpose makes the client retry; that is not a test failure.
        clientInstance.on('error', () => undefined);
      }
      return clientInstance;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') { await killProcess(signal); },
    async restart() { await launch(); },
    async stop() {
      await killProcess('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

export interface RedisCluster {
  masters: RedisServer[];
  replicas: RedisServer[];
  /** Seed addresses, "127.0.0.1:port" of every master. */
  nodes: string[];
  /** An ioredis Cluster client (created on first use, closed by stop()). */
  client(): InstanceType<typeof Redis.Cluster>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  masters: number;
  replicasPerMaster?: number;
  config?: Record<string, string>;
  password?: string;
}

/** N masters with all 16384 slots assigned in even ranges, optionally with replicas; returns once the cluster is ok. */
export async function startCluster(opts: ClusterOptions): Promise<RedisCluster> {
  const total = opts.masters * (1 + (opts.replicasPerMaster ?? 0));
  const config: Record<string, string> = { 'cluster-enabled': 'yes', 'cluster-node-timeout': '5000', ...(opts.config ?? {}) };
  if (opts.password) config.masterauth = opts.password;
  const servers: RedisServer[] = [];
  try {
    // Each server has its own directory, so one nodes.conf name serves all; startRedis picks ports with a free bus port.
    for (let i = 0; i < total; i++) servers.push(await startRedis({ config: { ...config, 'cluster-config-file': 'nodes.conf' }, password: opts.password }));
    await formCluster(servers, opts.masters);
    await waitClusterOk(servers, 30_000);
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  // redis-cli --cluster create makes the first N servers masters.
  const masters = servers.slice(0, opts.masters);
  const replicas = servers.slice(opts.masters);
  let clusterClient: InstanceType<typeof Redis.Cluster> | undefined;
  return {
    masters,
    replicas,
    nodes: masters.map((m) => m.addr),
    client() {
      if (!clusterClient) {
        clusterClient = new Redis.Cluster(masters.map((m) => ({ host: m.host, port: m.port })), {
          redisOptions: { password: opts.password },
        });
        // Load generators issue many commands at once while it connects; each waits on 'error' once.
        clusterClient.setMaxListeners(0);
      }
      return clusterClient;
    },
    async stop() {
      clusterClient?.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/**
 * Assigns the slots in even ranges to the first `masters` servers, introduces every node to the first (CLUSTER MEET)
 * and makes the rest replicas in turn. Done by hand because redis-cli --cluster create refuses fewer than 3 masters.
 */
async function formCluster(servers: RedisServer[], masters: number): Promise<void> {
  const per = Math.floor(16384 / masters);
  for (let i = 0; i < masters; i++) {
    const from = i * per;
    const to = i === masters - 1 ? 16383 : from + per - 1;
    await servers[i].client().call('CLUSTER', 'ADDSLOTSRANGE', String(from), String(to));
  }
  for (const s of servers.slice(1)) await s.client().call('CLUSTER', 'MEET', servers[0].host, String(servers[0].port));
  const ids = await Promise.all(servers.slice(0, masters).map((m) => m.client().call('CLUSTER', 'MYID') as Promise<string>));
  const deadline = Date.now() + 30_000;
  for (const [j, r] of servers.slice(masters).entries()) {
    // A replica can only follow a master it already knows about through the gossip.
    for (let i = 0; i < 600 && Date.now() < deadline; i++) {
      try {
        await r.client().call('CLUSTER', 'REPLICATE', ids[j % masters]);
        break;
      } catch {
        await sleep(50);
      }
    }
  }
}

async function waitClusterOk(servers: RedisServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const infos = await Promise.all(servers.map((s) => s.client().cluster('INFO') as Promise<string>));
    const known = `cluster_known_nodes:${servers.length}`;
    if (infos.every((t) => /cluster_state:ok/.test(t) && /cluster_slots_assigned:16384/.test(t) && t.includes(known))) return;
    await sleep(100);
  }
  throw new Error(`cluster did not reach cluster_state:ok within ${timeoutMs} ms`);
}

/** The replica (among `replicas`) that replicates `master`. */
export async function replicaOf(replicas: RedisServer[], master: RedisServer): Promise<RedisServer> {
  for (const r of replicas) if (new RegExp(`master_port:${master.port}\\b`).test(await r.client().info('replication'))) return r;
  throw new Error(`no replica of ${master.addr}`);
}
