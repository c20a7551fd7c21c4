// An incremental RESP2/RESP3 reply parser for the destination connection. The writer only needs to know, per
// top-level reply, whether it is an error and its text, so values are framed and skipped rather than materialized.

/** One top-level reply: null when it is not an error, else the error text (e.g. "OOM command not allowed ..."). */
export type ReplyOutcome = string | null;

const CR = 13;
/** An element of an aggregate starts after a CRLF: an error element with '-', a RESP3 blob error with '!'. */
const ERROR_ELEMENT = Buffer.from('\r\n-');
const BLOB_ERROR_ELEMENT = Buffer.from('\r\n!');

/**
 * The outcome of a null array reply: only EXEC answers with one here, when a key the transaction WATCHed changed,
 * which is how the single-writer fence (task/fence.ts) refuses a writer that no longer owns the task.
 */
export const WATCH_ABORTED = 'FENCED transaction aborted: the checkpoint no longer holds this daemon\'s last write (another daemon has taken the task over)';

export class ReplyParser {
  private pending: Buffer | null = null;

  /** Feeds socket bytes; calls onReply once per complete top-level reply, in order. */
  feed(chunk: Buffer, onReply: (outcome: ReplyOutcome) => void): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (pos >= buf.length) { this.pending = null; return; }
      const isError = buf[pos] === 0x2d || buf[pos] === 0x21; // '-' simple error, '!' RESP3 blob error
      const end = skipValue(buf, pos);
      if (end < 0) { this.pending = buf.subarray(pos); return; }
      onReply(isError ? errorText(buf, pos, end) : buf[pos] === 0x2a ? (buf[pos + 1] === 0x2d ? WATCH_ABORTED : mayHoldError(buf, pos, end) ? nestedError(buf, pos) : null) : null);
      pos = end;
    }
  }
}

/**
 * Cheap test before walking an EXEC reply again: without a CRLF followed by '-' or '!' inside it, no element is an
 * error. Searched within the reply only (a chunk holds many replies: searching to its end would be quadratic).
 */
function mayHoldError(buf: Buffer, pos: number, end: number): boolean {
  const reply = buf.subarray(pos, end);
  return reply.includes(ERROR_ELEMENT) || reply.includes(BLOB_ERROR_ELEMENT);
}

/**
 * EXEC answers with an array of its commands' replies: a command that failed at run time (WRONGTYPE, OOM in a
 * script...) is an error element there while the others ran. The writer must stop on it like on a top-level error.
 */
function nestedError(buf: Buffer, pos: number): ReplyOutcome {
  const lineEnd = buf.indexOf(CR, pos);
  const n = headerInt(buf, pos + 1, lineEnd);
  let p = lineEnd + 2;
  for (let i = 0; i < n; i++) {
    const end = skipValue(buf, p);
    if (buf[p] === 0x2d || buf[p] === 0x21) return `${errorText(buf, p, end)} (in EXEC, command ${i + 1} of ${n})`;
    p = end;
  }
  return null;
}

function errorText(buf: Buffer, start: number, end: number): string {
  if (buf[start] === 0x2d) return buf.toString('utf8', start + 1, end - 2);
  const lineEnd = buf.indexOf(CR, start);
  return buf.toString('utf8', lineEnd + 2, end - 2);
}

/** Position just after the value starting at pos, or -1 when the buffer does not hold all of it yet. */
function skipValue(buf: Buffer, pos: number): number {
  const lineEnd = buf.indexOf(CR, pos);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return -1;
  const next = lineEnd + 2;
  switch (buf[pos]) {
    case 0x2b: case 0x2d: case 0x3a: case 0x2c: case 0x23: case 0x28: case 0x5f: // + - : , # ( _
      return next;
    case 0x24: case 0x21: case 0x3d: { // $ ! = : length-prefixed
      const len = headerInt(buf, pos + 1, lineEnd);
      if (len < 0) return next;
      const end = next + len + 2;
      return end <= buf.length ? end : -1;
    }
    case 0x2a: case 0x7e: case 0x3e: case 0x25: case 0x7c: { // * ~ > % | : aggregates
      const n = headerInt(buf, pos + 1, lineEnd);
      const count = buf[pos] === 0x25 || buf[pos] === 0x7c ? n * 2 : n;
      let p = next;
      for (let i = 0; i < count; i++) {
        p = skipValue(buf, p);
        if (p < 0) return -1;
      }
      // An attribute (|) precedes the reply it annotates: both make one top-level reply.
      return buf[pos] === 0x7c ? skipValue(buf, p) : p;
    }
    default:
      throw new Error(`unexpected RESP type byte 0x${buf[pos].toString(16)} from the destination`);
  }
}

/** The integer of a length header (`-1` or digits) between start and end, read without making a string. */
function headerInt(buf: Buffer, start: number, end: number): number {
  const neg = buf[start] === 0x2d;
  let n = 0;
  for (let i = neg ? start + 1 : start; i < end; i++) n = n * 10 + (buf[i] - 48);
  return neg ? -n : n;
}
