// Commands sent and not yet confirmed, in send order: replies arrive in the same order, so the head is always the
// command the next reply answers.
//
// A ring that only ever grows, with each slot cleared as its reply arrives. Memory is why: an array replaced by a copy
// (push + slice compaction) lives on in the old generation until a full GC, and every command it still pointed to
// stays reachable from there, survives the young-generation collections and is promoted; during a full sync of small
// strings that kept 50-60 MB of confirmed 15 KB MSET batches alive (measured with process.memoryUsage().arrayBuffers).

export const NO_OFFSET = -1;
const EMPTY = Buffer.alloc(0);
const INITIAL_CAPACITY = 1024;

export class InFlightQueue {
  private commands: Buffer[] = new Array<Buffer>(INITIAL_CAPACITY).fill(EMPTY);
  private offsets: number[] = new Array<number>(INITIAL_CAPACITY).fill(NO_OFFSET);
  private head = 0;
  private count = 0;
  bytes = 0;

  get length(): number {
    return this.count;
  }

  /** The command the next reply answers (read before shift(): no object per reply on the hot path). */
  get headCommand(): Buffer {
    return this.commands[this.head];
  }

  push(command: Buffer, offset: number): void {
    if (this.count === this.commands.length) this.grow();
    const at = (this.head + this.count) % this.commands.length;
    this.commands[at] = command;
    this.offsets[at] = offset;
    this.count++;
    this.bytes += command.length;
  }

  /** Removes the head; returns its offset tag (NO_OFFSET when untagged). */
  shift(): number {
    if (this.count === 0) throw new Error('a reply arrived with no command in flight');
    const command = this.commands[this.head];
    const offset = this.offsets[this.head];
    this.commands[this.head] = EMPTY;
    this.head = (this.head + 1) % this.commands.length;
    this.count--;
    this.bytes -= command.length;
    return offset;
  }

  private grow(): void {
    const n = this.commands.length;
    const commands = new Array<Buffer>(n * 2).fill(EMPTY);
    const offsets = new Array<number>(n * 2).fill(NO_OFFSET);
    for (let i = 0; i < n; i++) {
      commands[i] = this.commands[(this.head + i) % n];
      offsets[i] = this.offsets[(this.head + i) % n];
    }
    // The old ring must not keep its commands reachable from the old generation (see the top of the file).
    this.commands.fill(EMPTY);
    this.commands = commands;
    this.offsets = offsets;
    this.head = 0;
  }
}
