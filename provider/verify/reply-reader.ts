// A RESP2 reply parser that materializes values as Buffers (verification compares bytes). A reply split across
// socket reads is parsed again from its start once more bytes arrived; for a big reply the retry waits until the
// buffered bytes doubled, so a 100 MB value costs a few passes rather than one per read.
import type { Reply } from './redis-calls';

/** An error reply from the server, kept as a value so one failing command does not fail a whole pipeline. */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

const INCOMPLETE = -1;

export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private retryAt = 0;

  feed(chunk: Buffer, onReply: (r: Reply) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length < this.retryAt) return;
    let pos = 0;
    for (;;) {
      if (pos >= this.buf.length) break;
      const cursor = { pos };
      const value = parse(this.buf, cursor);
      if (cursor.pos === INCOMPLETE) break;
      onReply(value);
      pos = cursor.pos;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    this.retryAt = this.buf.length > 1 << 20 ? this.buf.length * 2 : 0;
  }
}

/** Parses one value at cursor.pos and advances it; sets cursor.pos to INCOMPLETE when the bytes are not all there. */
function parse(buf: Buffer, cursor: { pos: number }): Reply {
  const start = cursor.pos;
  const lineEnd = buf.indexOf(13, start);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) { cursor.pos = INCOMPLETE; return null; }
  const next = lineEnd + 2;
  switch (buf[start]) {
    case 0x2b: cursor.pos = next; return buf.subarray(start + 1, lineEnd); // +
    case 0x2d: cursor.pos = next; return new ReplyError(buf.toString('utf8', start + 1, lineEnd)); // -
    case 0x3a: cursor.pos = next; return parseInt(buf.toString('latin1', start + 1, lineEnd), 10); // :
    case 0x24: { // $
      const len = parseInt(buf.toString('latin1', start + 1, lineEnd), 10);
      if (len < 0) { cursor.pos = next; return null; }
      if (next + len + 2 > buf.length) { cursor.pos = INCOMPLETE; return null; }
      cursor.pos = next + len + 2;
      return buf.subarray(next, next + len);
    }
    case 0x2a: { // *
      const n = parseInt(buf.toString('latin1', start + 1, lineEnd), 10);
      cursor.pos = next;
      if (n < 0) return null;
      const out: Reply[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = parse(buf, cursor);
        if (cursor.pos === INCOMPLETE) return null;
      }
      return out;
    }
    default:
      throw new Error(`unexpected RESP type byte 0x${buf[start].toString(16)}`);
  }
}
