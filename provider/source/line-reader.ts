// Reads the short reply lines of the handshake (and the RDB preamble) from socket chunks.
// A master may send bare "\n" keep-alives before its replies, so both "\r\n" and "\n" end a line.
const EMPTY = Buffer.alloc(0);
const LF = 10;
const CR = 13;

export class LineTooLongError extends Error {}

export class LineReader {
  private buf: Buffer = EMPTY;

  constructor(private readonly maxLine = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next line without its terminator (latin1), or null until one is complete. */
  nextLine(): string | null {
    const lf = this.buf.indexOf(LF);
    if (lf < 0) {
      if (this.buf.length > this.maxLine) throw new LineTooLongError(`a reply line longer than ${this.maxLine} bytes`);
      return null;
    }
    const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const line = this.buf.toString('latin1', 0, end);
    this.buf = this.buf.subarray(lf + 1);
    return line;
  }

  /** Bytes after the last line read; the reader is empty afterwards. */
  takeRest(): Buffer {
    const rest = this.buf;
    this.buf = EMPTY;
    return rest;
  }
}
