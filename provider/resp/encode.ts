// RESP encoding of commands as arrays of bulk strings: what Redis itself sends to replicas and what the writer sends.
// This is on the full-sync hot path (one command per key), so it writes digits and bytes by hand into one buffer.
export type Arg = Buffer | string | number;

function argBuffer(a: Arg): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(typeof a === 'number' ? String(a) : a);
}

export function digitCount(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}

/** Writes the d decimal digits of n (n >= 0) at pos and returns the position after them. */
function writeDigits(out: Buffer, pos: number, n: number, d: number): number {
  let v = n;
  for (let i = d - 1; i >= 0; i--) {
    out[pos + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return pos + d;
}

/** Writes `<type><n>\r\n` at pos (n >= 0) and returns the position after it. */
export function writeHeader(out: Buffer, pos: number, type: number, n: number): number {
  out[pos] = type;
  const p = writeDigits(out, pos + 1, n, digitCount(n));
  out[p] = 13;
  out[p + 1] = 10;
  return p + 2;
}

/** Bytes of `$<len>\r\n<bytes>\r\n`. */
export function bulkSize(len: number): number {
  return len + digitCount(len) + 5;
}

export function writeBulk(out: Buffer, pos: number, b: Uint8Array): number {
  let p = writeHeader(out, pos, 36, b.length);
  out.set(b, p);
  p += b.length;
  out[p] = 13;
  out[p + 1] = 10;
  return p + 2;
}

/** Bytes of a non-negative integer written as a bulk string. */
export function intBulkSize(n: number): number {
  const d = digitCount(n);
  return d + digitCount(d) + 5;
}

/** Writes a non-negative integer as a bulk string (`$<digits>\r\n<n>\r\n`) without making a string of it. */
export function writeBulkInt(out: Buffer, pos: number, n: number): number {
  const d = digitCount(n);
  const p = writeDigits(out, writeHeader(out, pos, 36, d), n, d);
  out[p] = 13;
  out[p + 1] = 10;
  return p + 2;
}

export function encodeCommand(args: readonly Arg[]): Buffer {
  const bufs = new Array<Buffer>(args.length);
  let size = digitCount(args.length) + 3;
  for (let i = 0; i < args.length; i++) {
    const b = argBuffer(args[i]);
    bufs[i] = b;
    size += bulkSize(b.length);
  }
  const out = Buffer.allocUnsafe(size);
  let pos = writeHeader(out, 0, 42, bufs.length);
  for (const b of bufs) pos = writeBulk(out, pos, b);
  return out;
}

/**
 * A command whose head (`*<argc>\r\n` and its name, e.g. `*3\r\n$3\r\nSET\r\n`) is encoded once by the caller,
 * followed by Buffer arguments: one allocation and no per-argument conversion, for commands written once per key.
 */
export function encodeAfterHead(head: Buffer, args: readonly Buffer[]): Buffer {
  let size = head.length;
  for (const a of args) size += bulkSize(a.length);
  const out = Buffer.allocUnsafe(size);
  head.copy(out, 0);
  let pos = head.length;
  for (const a of args) pos = writeBulk(out, pos, a);
  return out;
}
