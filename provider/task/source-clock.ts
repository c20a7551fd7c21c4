// The source's time at the command being applied, for relative expiries (EXPIRE, SET EX on sources before 7.0):
// replayed late, a relative TTL would count from the replay. The heartbeat key carries a clock through the stream,
// so a command that comes after a heartbeat ran no earlier than its value.

export class SourceClock {
  private lastBeat: number | null = null;

  constructor(private readonly intervalMs: number) {}

  /** A heartbeat came through the stream with this value (ms). */
  heartbeat(valueMs: number): void {
    if (Number.isFinite(valueMs)) this.lastBeat = valueMs;
  }

  /**
   * Caught up (the last heartbeat is recent): now, accurate to the lag. Behind (replaying a backlog): the last
   * heartbeat plus half an interval, within half an interval of when the command ran while heartbeats were written.
   * Before the first heartbeat: now (a TtlRepair corrects what was replayed meanwhile).
   */
  now(): number {
    const wall = Date.now();
    if (this.lastBeat === null || wall - this.lastBeat <= 2 * this.intervalMs) return wall;
    return this.lastBeat + this.intervalMs / 2;
  }

  /**
   * What is applied now may have run long ago: no heartbeat seen yet (a restart replays the backlog of the outage
   * first), or the last one is more than two intervals old.
   */
  uncertain(): boolean {
    return this.lastBeat === null || Date.now() - this.lastBeat > 2 * this.intervalMs;
  }
}
