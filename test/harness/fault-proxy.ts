// A fault-injecting TCP proxy on 127.0.0.1 for the fault tests: the daemon connects to the proxy, the proxy to the
// server. On command it can
//   - cut: close every connection and refuse new ones (ECONNREFUSED: the listener is closed) for a while;
//   - stall: accept and keep connections but forward nothing, in either direction, until unstalled;
//   - slow: delay every chunk and/or throttle each direction to a byte rate;
//   - corrupt: overwrite bytes of the server->client direction once, N bytes after the call, on the replication
//     connection (the one whose client sent PSYNC) unless told otherwise;
//   - retarget: send new connections to another server (a failover behind a stable address).
// Nothing here knows Redis beyond sniffing "PSYNC" in what the client sends.
import { createServer, connect, type Server, type Socket } from 'node:net';

export const PROXY_HOST = '127.0.0.1';

export interface Target {
  host: string;
  port: number;
}

export interface SlowOptions {
  /** Added to every chunk, in each direction. */
  delayMs?: number;
  /** Bytes per second in each direction of each connection (0 or absent: unthrottled). */
  bytesPerSec?: number;
}

export interface CorruptOptions {
  /** Server->client bytes to let through (counted from this call) before the first corrupted byte. */
  afterBytes: number;
  /** How many bytes to overwrite (default 1). */
  length?: number;
  /** The byte written over them (default 0x01, which is neither RESP framing nor printable). */
  byte?: number;
  /** Only the replication connection (the client sent PSYNC); default true. */
  replicaOnly?: boolean;
}

export interface ProxyStats {
  /** Connections open now. */
  open: number;
  /** Connections accepted since the start. */
  accepted: number;
  /** cut() calls. */
  cuts: number;
  bytesUp: number;
  bytesDown: number;
  /** Stream position (server->client bytes of that connection) where the corruption was applied, once it was. */
  corruptedAt: number | null;
}

interface Conn {
  client: Socket;
  server: Socket;
  replica: boolean;
  /** Server->client bytes forwarded on this connection. */
  down: number;
  pumps: Pump[];
}

type Direction = 'up' | 'down';

/** One direction of one connection: chunks are forwarded in order, held while stalled, delayed or throttled. */
class Pump {
  /** Chunks waiting, with the time they arrived (a delay is latency, counted from arrival). */
  private readonly queue: Array<{ chunk: Buffer; at: number }> = [];
  private busy = false;
  private nextAt = 0;
  private closed = false;

  constructor(private readonly proxy: FaultProxy, private readonly conn: Conn, readonly dir: Direction, private readonly from: Socket, private readonly to: Socket) {
    from.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.dir === 'up' && !this.conn.replica && /PSYNC|SYNC/i.test(chunk.toString('latin1'))) this.conn.replica = true;
    this.queue.push({ chunk, at: Date.now() });
    if (this.queue.length > 64) this.from.pause();
    this.kick();
  }

  kick(): void {
    if (this.busy || this.closed) return;
    while (this.queue.length && !this.proxy.isStalled) {
      const { delayMs } = this.proxy.slowness;
      const now = Date.now();
      const wait = Math.max(this.queue[0].at + delayMs - now, this.nextAt - now);
      if (wait > 0) {
        this.busy = true;
        setTimeout(() => { this.busy = false; this.forward(); this.kick(); }, wait).unref();
        return;
      }
      this.forward();
    }
    if (this.queue.length <= 64 && !this.proxy.isStalled) this.from.resume();
  }

  private forward(): void {
    const head = this.queue.shift();
    if (!head || this.closed) return;
    let chunk = head.chunk;
    const { bytesPerSec } = this.proxy.slowness;
    if (bytesPerSec > 0) {
      // At most ~50 ms of bytes per write, so a throttled stream still flows in small steps.
      const step = Math.max(1, Math.floor(bytesPerSec / 20));
      if (chunk.length > step) {
        this.queue.unshift({ chunk: chunk.subarray(step), at: head.at });
        chunk = chunk.subarray(0, step);
      }
      this.nextAt = Date.now() + Math.ceil((chunk.length * 1000) / bytesPerSec);
    } else {
      this.nextAt = 0;
    }
    if (this.dir === 'down') {
      chunk = this.proxy.maybeCorrupt(this.conn, chunk);
      this.conn.down += chunk.length;
      this.proxy.stats.bytesDown += chunk.length;
    } else {
      this.proxy.stats.bytesUp += chunk.length;
    }
    if (!this.to.destroyed) this.to.write(chunk);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}

export class FaultProxy {
  readonly stats: ProxyStats = { open: 0, accepted: 0, cuts: 0, bytesUp: 0, bytesDown: 0, corruptedAt: null };
  private server: Server | null = null;
  private readonly conns = new Set<Conn>();
  private stalled = false;
  private slow: Required<SlowOptions> = { delayMs: 0, bytesPerSec: 0 };
  /** An armed corruption: bytes still to let through, then bytes still to overwrite. */
  private corruption: { skip: number; left: number; byte: number; replicaOnly: boolean } | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private closedForGood = false;

  /** The port it listens on (kept across cuts). */
  port = 0;

  private constructor(public target: Target) {}

  /** Starts a proxy to target on a free port of 127.0.0.1 (or the given one). */
  static async start(target: Target, port = 0): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    proxy.port = await proxy.listen(port);
    return proxy;
  }

  get addr(): string {
    return `${PROXY_HOST}:${this.port}`;
  }

  get host(): string {
    return PROXY_HOST;
  }

  get isStalled(): boolean {
    return this.stalled;
  }

  get slowness(): Required<SlowOptions> {
    return this.slow;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** How many open connections sent PSYNC (the daemon's replication links). */
  get replicaConnections(): number {
    return [...this.conns].filter((c) => c.replica).length;
  }

  /** New connections go to another server; open ones stay where they are (cut them to move them). */
  retarget(target: Target): void {
    this.target = target;
  }

  /**
   * Closes every connection now and refuses new ones for refuseMs (the listening socket is closed, so connecting
   * gets ECONNREFUSED); with refuseMs 0 new connections are accepted at once.
   */
  async cut(refuseMs = 0): Promise<void> {
    this.stats.cuts++;
    if (refuseMs > 0) await this.down();
    this.dropAll();
    if (refuseMs > 0) {
      this.reopenTimer = setTimeout(() => { this.reopenTimer = null; void this.up(); }, refuseMs);
      this.reopenTimer.unref();
    }
  }

  /** Stops listening and closes every connection until up(). */
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.dropAll();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Listens again on the same port (after down() or during a cut). */
  async up(): Promise<void> {
    if (this.reopenTimer) { clearTimeout(this.reopenTimer); this.reopenTimer = null; }
    if (this.server || this.closedForGood) return;
    await this.listen(this.port);
  }

  /** Forwards nothing in either direction (connections stay open, new ones are accepted and held). */
  stall(): void {
    this.stalled = true;
  }

  unstall(): void {
    this.stalled = false;
    for (const c of this.conns) for (const p of c.pumps) p.kick();
  }

  /** Delays and/or throttles every direction of every connection; slowDown({}) restores full speed. */
  slowDown(opts: SlowOptions): void {
    this.slow = { delayMs: opts.delayMs ?? 0, bytesPerSec: opts.bytesPerSec ?? 0 };
    for (const c of this.conns) for (const p of c.pumps) p.kick();
  }

  /** Arms a one-shot corruption of the server->client bytes (see CorruptOptions). */
  corrupt(opts: CorruptOptions): void {
    this.stats.corruptedAt = null;
    this.corruption = { skip: opts.afterBytes, left: opts.length ?? 1, byte: opts.byte ?? 0x01, replicaOnly: opts.replicaOnly ?? true };
  }

  /** Called by the down pump: applies an armed corruption to this chunk when its position is reached. */
  maybeCorrupt(conn: Conn, chunk: Buffer): Buffer {
    const c = this.corruption;
    if (!c || (c.replicaOnly && !conn.replica)) return chunk;
    if (c.skip >= chunk.length) {
      c.skip -= chunk.length;
      return chunk;
    }
    const out = Buffer.from(chunk);
    const from = c.skip;
    const to = Math.min(out.length, from + c.left);
    out.fill(c.byte, from, to);
    if (this.stats.corruptedAt === null) this.stats.corruptedAt = conn.down + from;
    c.skip = 0;
    c.left -= to - from;
    if (c.left <= 0) this.corruption = null;
    return out;
  }

  async close(): Promise<void> {
    this.closedForGood = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    await this.down();
  }

  private dropAll(): void {
    for (const c of this.conns) {
      for (const p of c.pumps) p.close();
      c.client.destroy();
      c.server.destroy();
    }
    this.conns.clear();
    this.stats.open = 0;
  }

  private listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.accept(s));
      server.once('error', reject);
      server.listen(port, PROXY_HOST, () => {
        server.removeListener('error', reject);
        server.on('error', () => undefined);
        this.server = server;
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  private accept(client: Socket): void {
    this.stats.accepted++;
    const server = connect(this.target.port, this.target.host);
    const conn: Conn = { client, server, replica: false, down: 0, pumps: [] };
    this.conns.add(conn);
    this.stats.open = this.conns.size;
    client.setNoDelay(true);
    server.setNoDelay(true);
    conn.pumps.push(new Pump(this, conn, 'up', client, server), new Pump(this, conn, 'down', server, client));
    const end = (): void => {
      if (!this.conns.delete(conn)) return;
      this.stats.open = this.conns.size;
      for (const p of conn.pumps) p.close();
      client.destroy();
      server.destroy();
    };
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  }
}

/** Starts a proxy to a server ({ host, port }). */
export function startProxy(target: Target): Promise<FaultProxy> {
  return FaultProxy.start(target);
}
