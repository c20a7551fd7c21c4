// Replication lag from the heartbeat: the daemon writes its clock into the heartbeat key on the source; when that
// write has come back through the stream *and* everything before it is applied on the destination, now - value is
// the end-to-end lag.
export class LagTracker {
  private readonly pending: Array<{ offset: number; sentAtMs: number }> = [];
  private samples: number[] = [];
  lastLagMs: number | null = null;

  /** A heartbeat write seen in the stream at this offset. */
  seen(offset: number, value: Buffer): void {
    const sentAtMs = Number(value.toString('latin1'));
    if (Number.isFinite(sentAtMs) && this.pending.length < 10_000) this.pending.push({ offset, sentAtMs });
  }

  /** The destination has applied everything up to offset. */
  applied(offset: number, nowMs = Date.now()): void {
    while (this.pending.length && this.pending[0].offset <= offset) {
      const { sentAtMs } = this.pending.shift()!;
      this.lastLagMs = Math.max(0, nowMs - sentAtMs);
      if (this.samples.length < 100_000) this.samples.push(this.lastLagMs);
    }
  }

  /** Lag samples since the last call (for benchmarks and metrics). */
  drainSamples(): number[] {
    const s = this.samples;
    this.samples = [];
    return s;
  }
}
