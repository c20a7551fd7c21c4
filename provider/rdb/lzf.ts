// LZF decompression (the format of Redis's lzf_c.c), for RDB strings stored with the LZF encoding.
import { CorruptData } from './errors';

/** Back-references at least this long are copied natively (shorter ones cost less than the call). */
const LONG_REF = 24;

/** Decompresses src[start, end) into exactly outLen bytes; anything else is corrupt data. */
export function lzfDecompress(src: Buffer, start: number, end: number, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (ip + n > end || op + n > outLen) throw new CorruptData('an LZF literal run inside the compressed data', ip);
      // At most 32 bytes: a plain loop beats Buffer#copy's per-call overhead.
      for (let i = 0; i < n; i++) out[op++] = src[ip++];
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= end) throw new CorruptData('an LZF back-reference length byte', ip);
      len += src[ip++];
    }
    if (ip >= end) throw new CorruptData('an LZF back-reference offset byte', ip);
    const ref = op - ((ctrl & 0x1f) << 8) - src[ip++] - 1;
    len += 2;
    if (ref < 0 || op + len > outLen) throw new CorruptData('an LZF back-reference inside the output', ip);
    const distance = op - ref;
    if (len >= LONG_REF && distance === 1) {
      // A run of one byte (padding, repeated characters): filled natively.
      out.fill(out[ref], op, op + len);
      op += len;
    } else if (len >= LONG_REF && distance >= len) {
      // No overlap: one native copy.
      out.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      // Byte by byte: a back-reference may overlap the bytes it produces.
      for (let i = 0; i < len; i++) out[op++] = out[ref + i];
    }
  }
  if (op !== outLen) throw new CorruptData(`LZF data expanding to ${outLen} bytes (got ${op})`, ip);
  return out;
}

/** LZF cannot expand by more than this factor (a 3-byte back-reference yields at most 264 bytes). */
export const LZF_MAX_RATIO = 90;
