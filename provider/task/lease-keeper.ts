// Keeps the task's lease while the daemon runs: takes it (again at every attempt: a daemon that was paused and lost
// its connections must not come back as a writer), renews it every second with the status, hands it back at a stop.
// A renewal that finds another holder, or a stop requested through the destination, is reported at once.
import type { ResolvedTask } from '../spec/resolve';
import type { Logger } from '../state/logger';
import { TaskLease, LeaseHeldError, newToken, describeHolder, readLease } from '../state/lease';
import type { MetaClient } from '../state/meta-client';

export interface LeaseKeeperEvents {
  /** The status to publish with each renewal (JSON). */
  status(): string;
  /** Another daemon holds the lease now: stop writing at once. */
  lost(message: string): void;
  /** `pulumi destroy`/`update` or `redis-sync stop` asked this daemon, through the destination, to stop. */
  stopRequested(): void;
}

export class LeaseKeeper {
  private readonly lease: TaskLease;
  private timer: NodeJS.Timeout | null = null;
  private lostLease = false;

  constructor(private readonly task: ResolvedTask, private readonly meta: MetaClient, writer: string, stateDir: string, private readonly log: Logger, private readonly events: LeaseKeeperEvents, owner?: string) {
    // A supervisor's restarted workers are one owner (REDIS_SYNC_OWNER); a foreground run is its own (`owner`: the
    // same across the runners of one process, one after a destination failover).
    this.lease = new TaskLease(meta, { task: task.id, owner: process.env.REDIS_SYNC_OWNER || owner || newToken(), writer, stateDir });
  }

  /** Whether this process holds the lease (it took it and has not lost it). */
  get held(): boolean {
    return this.timer !== null && !this.lostLease;
  }

  get lost(): boolean {
    return this.lostLease;
  }

  /**
   * Takes the lease, or confirms it; 'stop' when a stop was requested for this owner. Throws LeaseHeldError when
   * another daemon runs the task, and a not-retryable error when it was this process's and another took it over.
   */
  async acquire(): Promise<'ok' | 'stop'> {
    if (this.lostLease) throw Object.assign(new Error(`lost the lease of task ${this.task.id}`), { retryable: false });
    let got: 'ok' | 'stop';
    try {
      got = await this.lease.acquire();
    } catch (err) {
      if (!(err instanceof LeaseHeldError) || this.timer === null) throw err;
      const message = `lost the lease: the task now runs on ${describeHolder(err.holder)}`;
      this.markLost(message);
      throw Object.assign(new Error(message), { retryable: false });
    }
    if (got === 'ok' && this.timer === null) {
      this.timer = setInterval(() => this.renew(), Math.max(100, Math.min(1000, Math.floor(this.lease.ttlMs / 3))));
      this.timer.unref();
    }
    return got;
  }

  /** Renews now (and publishes the status); unreachable destinations are retried at the next tick. */
  renew(): void {
    if (!this.held) return;
    this.lease.renew(this.events.status()).then((r) => {
      if (r === 'stop') this.events.stopRequested();
    }, (err: Error) => {
      if (!(err instanceof LeaseHeldError) || this.lostLease) return;
      this.markLost(`lost the lease: the task now runs on ${describeHolder(err.holder)}`);
    });
  }

  /** The destination fenced this process: it is no longer the owner (the log names who is). */
  fenced(): void {
    if (this.lostLease) return;
    this.lostLease = true;
    if (this.timer) clearInterval(this.timer);
    readLease(this.meta, this.task.id).then(
      (h) => this.log.error({ task: this.task.id }, h ? `the task now runs on ${describeHolder(h)}` : 'no daemon holds the task\'s lease now'),
      () => undefined,
    );
  }

  /** Publishes the last status and gives the lease back, so the next owner need not wait for it to expire. */
  async release(): Promise<void> {
    const held = this.held;
    if (this.timer) clearInterval(this.timer);
    if (!held) return;
    try {
      await this.lease.renew(this.events.status());
      await this.lease.release();
    } catch { /* unreachable: the lease expires by itself */ }
  }

  private markLost(message: string): void {
    if (this.lostLease) return;
    this.lostLease = true;
    if (this.timer) clearInterval(this.timer);
    this.log.error({ task: this.task.id }, message);
    this.events.lost(message);
  }
}
