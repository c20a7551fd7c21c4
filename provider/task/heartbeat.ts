// Writes the daemon's clock into the heartbeat key on a source master, so the lag can be measured end to end.
import Redis from 'ioredis';
import type { NodeAddress } from '../spec/types';
import { tlsOptions } from '../spec/tls-options';

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private client: Redis | null = null;
  lastError: string | null = null;

  constructor(
    private readonly node: NodeAddress,
    private readonly key: string,
    private readonly db: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.client = new Redis({
      host: this.node.host, port: this.node.port, username: this.node.username, password: this.node.password,
      db: this.db, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      tls: tlsOptions(this.node),
    });
    this.client.on('error', (err: Error) => { this.lastError = err.message; });
    this.client.connect().catch((err: Error) => { this.lastError = err.message; });
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  private beat(): void {
    if (this.client?.status !== 'ready') return;
    // PX keeps the key from lingering on the source if the task dies without cleaning up.
    this.client.set(this.key, String(Date.now()), 'PX', Math.max(60_000, this.intervalMs * 10)).then(
      () => { this.lastError = null; },
      (err: Error) => { this.lastError = err.message; },
    );
  }

  async stop(removeKey = false): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (!c) return;
    if (removeKey && c.status === 'ready') await c.del(this.key).catch(() => 0);
    c.disconnect();
  }
}
