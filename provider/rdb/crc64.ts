// CRC-64/Jones, reflected (poly 0x95ac9329ac4bc9b5), init 0: the checksum of RDB files and DUMP payloads.
// Computed on two 32-bit halves because BigInt arithmetic per byte is far too slow for a snapshot stream.
const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
(function buildTable() {
  const POLY_LO = 0xac4bc9b5;
  const POLY_HI = 0x95ac9329;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
})();

// Slicing-by-8 tables: SLICE_x[k][n] is the CRC of byte n followed by k zero bytes, so eight input bytes fold in
// with sixteen table loads instead of eight dependent byte steps (the RDB checksum is on the reader's hot path).
const SLICE_LO: Uint32Array[] = [TABLE_LO];
const SLICE_HI: Uint32Array[] = [TABLE_HI];
for (let k = 1; k < 8; k++) {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  const plo = SLICE_LO[k - 1];
  const phi = SLICE_HI[k - 1];
  for (let n = 0; n < 256; n++) {
    const idx = plo[n] & 0xff;
    lo[n] = (((plo[n] >>> 8) | ((phi[n] & 0xff) << 24)) ^ TABLE_LO[idx]) >>> 0;
    hi[n] = ((phi[n] >>> 8) ^ TABLE_HI[idx]) >>> 0;
  }
  SLICE_LO.push(lo);
  SLICE_HI.push(hi);
}
const [L0, L1, L2, L3, L4, L5, L6, L7] = SLICE_LO;
const [H0, H1, H2, H3, H4, H5, H6, H7] = SLICE_HI;

/** A running CRC-64 that can be fed in pieces, as the RDB stream arrives. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    for (const last8 = end - 8; i <= last8; i += 8) {
      const a = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
      const b = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
      const a0 = a & 0xff, a1 = (a >>> 8) & 0xff, a2 = (a >>> 16) & 0xff, a3 = a >>> 24;
      const b0 = b & 0xff, b1 = (b >>> 8) & 0xff, b2 = (b >>> 16) & 0xff, b3 = b >>> 24;
      lo = L7[a0] ^ L6[a1] ^ L5[a2] ^ L4[a3] ^ L3[b0] ^ L2[b1] ^ L1[b2] ^ L0[b3];
      hi = H7[a0] ^ H6[a1] ^ H5[a2] ^ H4[a3] ^ H3[b0] ^ H2[b1] ^ H1[b2] ^ H0[b3];
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[idx];
      hi = (hi >>> 8) ^ TABLE_HI[idx];
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The 8 bytes as Redis stores them (little endian). */
  digestLE(): Buffer {
    const out = Buffer.allocUnsafe(8);
    this.writeLE(out, 0);
    return out;
  }

  /** Writes the digest into out at pos, as digestLE() would return it, without allocating. */
  writeLE(out: Uint8Array, pos: number): void {
    const { lo, hi } = this;
    out[pos] = lo & 0xff;
    out[pos + 1] = (lo >>> 8) & 0xff;
    out[pos + 2] = (lo >>> 16) & 0xff;
    out[pos + 3] = lo >>> 24;
    out[pos + 4] = hi & 0xff;
    out[pos + 5] = (hi >>> 8) & 0xff;
    out[pos + 6] = (hi >>> 16) & 0xff;
    out[pos + 7] = hi >>> 24;
  }

  /** Starts over, so one instance serves many payloads. */
  reset(): this {
    this.lo = 0;
    this.hi = 0;
    return this;
  }

  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

export function crc64(buf: Uint8Array): bigint {
  return new Crc64().update(buf).value();
}
