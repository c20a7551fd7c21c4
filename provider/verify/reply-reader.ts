// A resumable RESP2 reply parser that materializes values as Buffers (verification compares bytes). Arrays under
// construction survive across socket reads, so a reply of a million elements is parsed once, not once per read;
// a bulk string waits until all its bytes are buffered.
import type { Reply } from './redis-calls';

/** An error reply from the server, kept as a value so one failing command does not fail a whole pipeline. */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

interface Frame {
  items: Reply[];
  remaining: number;
}

/** A complete scalar or array header at pos, or null when its bytes are not all buffered yet. */
type Token = { end: number; value: Reply; arrayLength: number | null } | null;

export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly stack: Frame[] = [];
  /** Buffered bytes needed before parsing can progress (a bulk string's end). */
  private needed = 0;

  feed(chunk: Buffer, onReply: (r: Reply) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length < this.needed) return;
    this.needed = 0;
    let pos = 0;
    while (pos < this.buf.length) {
      const token = this.token(pos);
      if (!token) break;
      pos = token.end;
      if (token.arrayLength !== null && token.arrayLength > 0) {
        this.stack.push({ items: [], remaining: token.arrayLength });
        continue;
      }
      this.complete(token.arrayLength === 0 ? [] : token.value, onReply);
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    if (this.needed > 0) this.needed -= pos;
  }

  /** Adds a finished value to the array being built, closing every array it completes; top-level values go out. */
  private complete(value: Reply, onReply: (r: Reply) => void): void {
    let v = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return onReply(v);
      top.items.push(v);
      if (--top.remaining > 0) return;
      this.stack.pop();
      v = top.items;
    }
  }

  private token(start: number): Token {
    const buf = this.buf;
    const lineEnd = buf.indexOf(13, start);
    if (lineEnd < 0 || lineEnd + 1 >= buf.length) return null;
    const next = lineEnd + 2;
    const line = (): string => buf.toString('latin1', start + 1, lineEnd);
    switch (buf[start]) {
      case 0x2b: return { end: next, value: buf.subarray(start + 1, lineEnd), arrayLength: null }; // +
      case 0x2d: return { end: next, value: new ReplyError(buf.toString('utf8', start + 1, lineEnd)), arrayLength: null }; // -
      case 0x3a: return { end: next, value: parseInt(line(), 10), arrayLength: null }; // :
      case 0x24: { // $
        const len = parseInt(line(), 10);
        if (len < 0) return { end: next, value: null, arrayLength: null };
        if (next + len + 2 > buf.length) {
          this.needed = next + len + 2;
          return null;
        }
        return { end: next + len + 2, value: buf.subarray(next, next + len), arrayLength: null };
      }
      case 0x2a: { // *
        const n = parseInt(line(), 10);
        return n < 0 ? { end: next, value: null, arrayLength: null } : { end: next, value: null, arrayLength: n };
      }
      default:
        throw new Error(`unexpected RESP type byte 0x${buf[start].toString(16)}`);
    }
  }
}
