// What REPLCONF ACK may claim: the offset the engine reported as applied, never more than was delivered.
// Also remembers a GETACK that arrived while the applied offset was behind it, to answer it on catching up.
export class AckTracker {
  private deliveredOffset = -1;
  private appliedOffset = -1;
  private getackAt = -1;

  get delivered(): number {
    return this.deliveredOffset;
  }

  get applied(): number {
    return this.appliedOffset;
  }

  /** The ACK value: 0 (claims nothing) until something is applied on this stream. */
  get value(): number {
    return Math.max(0, this.appliedOffset);
  }

  /** A new stream: after FULLRESYNC nothing is applied (-1); after CONTINUE the requested offset is. */
  reset(delivered: number, applied: number): void {
    this.deliveredOffset = delivered;
    this.appliedOffset = applied;
    this.getackAt = -1;
  }

  deliver(offset: number): void {
    this.deliveredOffset = offset;
  }

  /** Records an applied offset; true when a pending GETACK can now be answered. */
  apply(offset: number, node: string): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`ack offset must be a non-negative integer, got ${offset}`);
    if (offset > this.deliveredOffset) throw new RangeError(`ack offset ${offset} is past the last delivered offset ${this.deliveredOffset} from ${node}`);
    if (offset <= this.appliedOffset) return false;
    this.appliedOffset = offset;
    if (this.getackAt < 0 || offset < this.getackAt) return false;
    this.getackAt = -1;
    return true;
  }

  /** A GETACK whose bytes start at `offsetBefore`: redis-server would answer with exactly that offset. */
  getack(offsetBefore: number): void {
    if (this.appliedOffset < offsetBefore) this.getackAt = offsetBefore;
  }
}
