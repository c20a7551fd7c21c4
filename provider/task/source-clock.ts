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
   */
  now(): number {
    const wall = Date.now();
    if (this.lastBeat === null || wall - this.lastBeat <= 2 * this.intervalMs) return wall;
    return this.lastBeat + this.intervalMs / 2;
  }
}
