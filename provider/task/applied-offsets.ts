// Which replication offset the destination has applied. Forwarded commands are tagged with their offset and
// confirmed by the writer; commands that are dropped (PING, the heartbeat, other databases) have nothing to confirm,
// so their offset counts as applied as soon as every forwarded command before them is.
export class AppliedOffsets {
  private lastSentTag = -1;
  private lastConfirmedTag = -1;
  /** Offset of the newest dropped command sent after lastSentTag, or -1. */
  private droppedAfterSent = -1;
  applied: number;

  constructor(start: number) {
    this.applied = start;
  }

  reset(start: number): void {
    this.applied = start;
    this.lastSentTag = this.lastConfirmedTag = this.droppedAfterSent = -1;
  }

  forwarded(offset: number): void {
    this.lastSentTag = offset;
    this.droppedAfterSent = -1;
  }

  /** Returns true when the applied offset moved. */
  dropped(offset: number): boolean {
    if (this.lastSentTag === this.lastConfirmedTag) {
      if (offset <= this.applied) return false;
      this.applied = offset;
      return true;
    }
    this.droppedAfterSent = offset;
    return false;
  }

  /** The writer confirmed every command up to the one tagged offset. Returns true when the applied offset moved. */
  confirmed(offset: number): boolean {
    this.lastConfirmedTag = offset;
    const next = offset === this.lastSentTag && this.droppedAfterSent > offset ? this.droppedAfterSent : offset;
    if (next <= this.applied) return false;
    this.applied = next;
    return true;
  }
}
