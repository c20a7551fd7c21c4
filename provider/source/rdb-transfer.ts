// Receives the RDB snapshot that follows +FULLRESYNC and hands it on as it arrives, never holding more than
// one chunk (plus, for diskless transfers, the last 40 bytes, which might be the start of the EOF mark).
//   disk-based: "$<len>\r\n" then exactly len bytes, then the command stream (possibly in the same chunk);
//   diskless:   "$EOF:<40-byte mark>\r\n", the bytes, then the mark again, which is not part of the RDB.
// Bare "\n" before the preamble are the master's keep-alives while it prepares the snapshot.
import { LineReader } from './line-reader';

export const EOF_MARK_LENGTH = 40;

export class RdbPreambleError extends Error {}

export class RdbTransfer {
  private readonly preamble = new LineReader(256);
  private started = false;
  private remaining = 0;
  private mark: Buffer | null = null;
  private tail: Buffer = Buffer.alloc(0);
  private received = 0;
  private finished = false;

  constructor(
    private readonly onData: (chunk: Buffer) => void,
    /** Once the preamble is read: the RDB length for a disk-based transfer, null for a diskless one. */
    private readonly onStart: (bytesTotal: number | null) => void = () => undefined,
  ) {}

  /** RDB bytes handed on so far. */
  get bytes(): number {
    return this.received;
  }

  get diskless(): boolean {
    return this.mark !== null;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Consumes a chunk; returns the bytes after the RDB once it is complete (maybe empty), else null. */
  feed(chunk: Buffer): Buffer | null {
    if (this.finished) return chunk;
    if (!this.started) {
      const body = this.readPreamble(chunk);
      if (body === null) return null;
      chunk = body;
    }
    return this.mark === null ? this.feedSized(chunk) : this.feedUntilMark(chunk, this.mark);
  }

  private readPreamble(chunk: Buffer): Buffer | null {
    this.preamble.push(chunk);
    for (let line = this.preamble.nextLine(); line !== null; line = this.preamble.nextLine()) {
      if (line === '') continue;
      if (line.startsWith('$EOF:') && line.length === 5 + EOF_MARK_LENGTH) {
        this.mark = Buffer.from(line.slice(5), 'latin1');
      } else if (/^\$\d{1,18}$/.test(line)) {
        this.remaining = Number(line.slice(1));
      } else {
        throw new RdbPreambleError(`expected "$<length>" or "$EOF:<mark>" before the RDB, found "${line.slice(0, 64)}"`);
      }
      this.started = true;
      const rest = this.preamble.takeRest();
      this.onStart(this.mark === null ? this.remaining : null);
      return rest;
    }
    return null;
  }

  private feedSized(chunk: Buffer): Buffer | null {
    const n = Math.min(this.remaining, chunk.length);
    this.emit(n === chunk.length ? chunk : chunk.subarray(0, n));
    this.remaining -= n;
    if (this.remaining > 0) return null;
    this.finished = true;
    return chunk.subarray(n);
  }

  private feedUntilMark(chunk: Buffer, mark: Buffer): Buffer | null {
    const tail = this.tail;
    if (tail.length > 0) {
      // A mark starting inside the held-back tail ends within the chunk's first 39 bytes.
      const window = Buffer.concat([tail, chunk.subarray(0, EOF_MARK_LENGTH - 1)]);
      const at = window.indexOf(mark);
      if (at >= 0 && at < tail.length) {
        this.emit(tail.subarray(0, at));
        return this.finish(chunk.subarray(at + EOF_MARK_LENGTH - tail.length));
      }
    }
    const at = chunk.indexOf(mark);
    if (at >= 0) {
      this.emit(tail);
      this.emit(chunk.subarray(0, at));
      return this.finish(chunk.subarray(at + EOF_MARK_LENGTH));
    }
    if (chunk.length >= EOF_MARK_LENGTH) {
      this.emit(tail);
      this.emit(chunk.subarray(0, chunk.length - EOF_MARK_LENGTH));
      this.tail = chunk.subarray(chunk.length - EOF_MARK_LENGTH);
    } else {
      const joined = Buffer.concat([tail, chunk]);
      const keep = Math.min(joined.length, EOF_MARK_LENGTH);
      this.emit(joined.subarray(0, joined.length - keep));
      this.tail = joined.subarray(joined.length - keep);
    }
    return null;
  }

  private finish(rest: Buffer): Buffer {
    this.finished = true;
    this.tail = Buffer.alloc(0);
    return rest;
  }

  private emit(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.received += chunk.length;
    this.onData(chunk);
  }
}
