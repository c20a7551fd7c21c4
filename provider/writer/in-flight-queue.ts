// Commands sent and not yet confirmed, in send order: replies arrive in the same order, so the head is always the
// command the next reply answers.

export const NO_OFFSET = -1;
const EMPTY = Buffer.alloc(0);

export class InFlightQueue {
  private commands: Buffer[] = [];
  private offsets: number[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.commands.length - this.head;
  }

  push(command: Buffer, offset: number): void {
    this.commands.push(command);
    this.offsets.push(offset);
    this.bytes += command.length;
  }

  /** The command the last shift() removed (one reply per command: no object per reply on the hot path). */
  shiftedCommand: Buffer = EMPTY;

  /** Removes the head; returns its offset tag (NO_OFFSET when untagged); the command is in shiftedCommand. */
  shift(): number {
    const command = this.commands[this.head];
    const offset = this.offsets[this.head];
    this.head++;
    this.bytes -= command.length;
    if (this.head >= 1024 && this.head * 2 >= this.commands.length) this.compact();
    this.shiftedCommand = command;
    return offset;
  }

  private compact(): void {
    this.commands = this.commands.slice(this.head);
    this.offsets = this.offsets.slice(this.head);
    this.head = 0;
  }
}
