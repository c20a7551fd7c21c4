// Replication lag from the heartbeat: the daemon writes its clock into the heartbeat key on the source; when that
// write has come back through the stream *and* everything before it is applied on the destination, now - value is
// the end-to-end lag.
const WINDOW = 1000;

export interface LagPercentiles { p50: number; p99: number; max: number; samples: number }

export class LagTracker {
  private readonly pending: Array<{ offset: number; sentAtMs: number }> = [];
  private samples: number[] = [];
  /** Recent samples for percentiles in the status (bounded). */
  private readonly window: number[] = [];
  lastLagMs: number | null = null;

  /** A heartbeat write seen in the stream at this offset. */
  seen(offset: number, value: Buffer): void {
    const sentAtMs = Number(value.toString('latin1'));
    if (Number.isFinite(sentAtMs) && this.pending.length < 10_000) this.pending.push({ offset, sentAtMs });
  }

  /** The destination has applied everything up to offset; true when that completed a heartbeat (a new sample). */
  applied(offset: number, nowMs = Date.now()): boolean {
    if (!this.pending.length || this.pending[0].offset > offset) return false;
    while (this.pending.length && this.pending[0].offset <= offset) {
      const { sentAtMs } = this.pending.shift()!;
      this.lastLagMs = Math.max(0, nowMs - sentAtMs);
      if (this.samples.length < 100_000) this.samples.push(this.lastLagMs);
      this.window.push(this.lastLagMs);
      if (this.window.length > WINDOW) this.window.shift();
    }
    return true;
  }

  /** p50/p99/max over the last WINDOW heartbeats. */
  percentiles(): LagPercentiles | null {
    if (!this.window.length) return null;
    const sorted = [...this.window].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], samples: sorted.length };
  }

  /** Lag samples since the last call (for benchmarks and metrics). */
  drainSamples(): number[] {
    const s = this.samples;
    this.samples = [];
    return s;
  }
}
