// A read position over a Buffer with the RDB primitive encodings (rdb.c: rdbLoadLen, rdbGenericLoadStringObject, ...).
// `partial` says whether the bytes may continue later (the streaming reader) or the buffer is all there is (decode()).
import { CorruptData, NeedMore } from './errors';
import { lzfDecompress, LZF_MAX_RATIO } from './lzf';

export const RDB_6BITLEN = 0;
export const RDB_14BITLEN = 1;
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;
export const RDB_ENCVAL = 3;
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

/** The largest string length accepted: 4 GiB - 1, above Redis's proto-max-bulk-len default and within what a Buffer holds. */
export const MAX_STRING_BYTES = 0xffffffff;

export class Cursor {
  /** Set by lenOrEnc(): whether the last length read was an RDB_ENCVAL special encoding. */
  encoded = false;

  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    public partial: boolean,
  ) {}

  short(n: number, what: string): never {
    if (this.partial) throw new NeedMore(this.pos + n);
    throw new CorruptData(`${what} (the data ends ${this.end - this.pos} bytes short)`, this.pos);
  }

  u8(what = 'a byte'): number {
    if (this.pos >= this.end) this.short(1, what);
    return this.buf[this.pos++];
  }

  /** Reserves n bytes and returns the index where they start. */
  take(n: number, what: string): number {
    if (this.end - this.pos < n) this.short(n, what);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** rdbLoadMillisecondTime: 8 bytes little endian. */
  millis(what = 'an 8-byte millisecond time'): number {
    const at = this.take(8, what);
    return this.buf.readUInt32LE(at) + this.buf.readInt32LE(at + 4) * 0x100000000;
  }

  doubleLE(what = 'an 8-byte binary double'): number {
    return this.buf.readDoubleLE(this.take(8, what));
  }

  /** rdbLoadLen with the special-encoding flag left in this.encoded. */
  lenOrEnc(what = 'a length'): number {
    const b = this.u8(what);
    const t = b >> 6;
    this.encoded = false;
    if (t === RDB_6BITLEN) return b & 0x3f;
    if (t === RDB_14BITLEN) return ((b & 0x3f) << 8) | this.u8(what);
    if (t === RDB_ENCVAL) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (b === RDB_32BITLEN) return this.buf.readUInt32BE(this.take(4, what));
    if (b === RDB_64BITLEN) {
      const at = this.take(8, what);
      const hi = this.buf.readUInt32BE(at);
      if (hi > 0x1fffff) throw new CorruptData(`${what} below 2^53`, at - 1);
      return hi * 0x100000000 + this.buf.readUInt32BE(at + 4);
    }
    throw new CorruptData(`${what} (0x${b.toString(16)} is not a length encoding)`, this.pos - 1);
  }

  len(what = 'a length'): number {
    const at = this.pos;
    const n = this.lenOrEnc(what);
    if (this.encoded) throw new CorruptData(`${what}, not a string encoding`, at);
    return n;
  }

  /** A length read as an unsigned 64-bit integer (stream ids keep all 64 bits). */
  lenBig(what = 'a 64-bit length-encoded integer'): bigint {
    const at = this.pos;
    const b = this.u8(what);
    if (b === RDB_64BITLEN) return this.buf.readBigUInt64BE(this.take(8, what));
    this.pos = at;
    return BigInt(this.len(what));
  }

  /** rdbGenericLoadStringObject: raw, integer-encoded (as decimal text) or LZF-compressed. */
  str(what = 'a string'): Buffer {
    const at = this.pos;
    const n = this.lenOrEnc(what);
    if (!this.encoded) {
      if (n > MAX_STRING_BYTES) throw new CorruptData(`${what} of sane length (got ${n})`, at);
      const s = this.take(n, what);
      return this.buf.subarray(s, s + n);
    }
    switch (n) {
      case RDB_ENC_INT8: return Buffer.from(String(this.buf.readInt8(this.take(1, what))));
      case RDB_ENC_INT16: return Buffer.from(String(this.buf.readInt16LE(this.take(2, what))));
      case RDB_ENC_INT32: return Buffer.from(String(this.buf.readInt32LE(this.take(4, what))));
      case RDB_ENC_LZF: return this.lzf(what);
      default: throw new CorruptData(`${what} (unknown string encoding ${n})`, at);
    }
  }

  private lzfLengths(what: string): [number, number] {
    const at = this.pos;
    const clen = this.len('an LZF compressed length');
    const ulen = this.len('an LZF uncompressed length');
    if (clen === 0 || ulen > MAX_STRING_BYTES || ulen > clen * LZF_MAX_RATIO + 64) {
      throw new CorruptData(`${what}: LZF lengths that fit together (compressed ${clen}, uncompressed ${ulen})`, at);
    }
    return [clen, ulen];
  }

  private lzf(what: string): Buffer {
    const [clen, ulen] = this.lzfLengths(what);
    const s = this.take(clen, what);
    return lzfDecompress(this.buf, s, s + clen, ulen);
  }

  /** Steps over a string without building it. */
  skipStr(what = 'a string'): void {
    const at = this.pos;
    const n = this.lenOrEnc(what);
    if (!this.encoded) {
      if (n > MAX_STRING_BYTES) throw new CorruptData(`${what} of sane length (got ${n})`, at);
      this.take(n, what);
      return;
    }
    switch (n) {
      case RDB_ENC_INT8: this.take(1, what); return;
      case RDB_ENC_INT16: this.take(2, what); return;
      case RDB_ENC_INT32: this.take(4, what); return;
      case RDB_ENC_LZF: { const [clen] = this.lzfLengths(what); this.take(clen, what); return; }
      default: throw new CorruptData(`${what} (unknown string encoding ${n})`, at);
    }
  }

  /** rdbLoadDoubleValue: the string form of old zset scores (253 nan, 254 +inf, 255 -inf). */
  strDouble(what = 'a string-encoded score'): number {
    const n = this.u8(what);
    if (n === 255) return -Infinity;
    if (n === 254) return Infinity;
    if (n === 253) return NaN;
    const at = this.take(n, what);
    const v = Number(this.buf.toString('latin1', at, at + n));
    if (Number.isNaN(v)) throw new CorruptData(`${what} (not a number)`, at);
    return v;
  }

  skipStrDouble(what = 'a string-encoded score'): void {
    const n = this.u8(what);
    if (n < 253) this.take(n, what);
  }
}
