// Listpack (listpack.c): the compact encoding of small hashes, sets, zsets, quicklist nodes and stream nodes.
// Integers come back as their decimal text, the form Redis returns them in.
import { CorruptData } from './errors';

const LP_HDR_SIZE = 6;
const LP_EOF = 0xff;

/** Cheap structural check, done while streaming so gross corruption is caught without decoding. */
export function lpCheckHeader(lp: Buffer, what: string): void {
  if (lp.length < LP_HDR_SIZE + 1) throw new CorruptData(`${what}: a listpack of at least 7 bytes`, 0);
  if (lp.readUInt32LE(0) !== lp.length) throw new CorruptData(`${what}: a listpack whose header size matches its ${lp.length} bytes`, 0);
  if (lp[lp.length - 1] !== LP_EOF) throw new CorruptData(`${what}: a listpack ending with 0xFF`, lp.length - 1);
}

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** All elements of a listpack, in order. */
export function lpElements(lp: Buffer, what = 'listpack'): Buffer[] {
  lpCheckHeader(lp, what);
  const out: Buffer[] = [];
  const end = lp.length - 1;
  let p = LP_HDR_SIZE;
  while (p < end) {
    const start = p;
    const b = lp[p];
    let val: Buffer;
    if (b < 0x80) {
      val = intText(b);
      p += 1;
    } else if ((b & 0xc0) === 0x80) {
      const n = b & 0x3f;
      val = lp.subarray(p + 1, p + 1 + n);
      p += 1 + n;
    } else if ((b & 0xe0) === 0xc0) {
      need(lp, p, 2, end, what);
      let v = ((b & 0x1f) << 8) | lp[p + 1];
      if (v >= 4096) v -= 8192;
      val = intText(v);
      p += 2;
    } else if ((b & 0xf0) === 0xe0) {
      need(lp, p, 2, end, what);
      const n = ((b & 0x0f) << 8) | lp[p + 1];
      val = lp.subarray(p + 2, p + 2 + n);
      p += 2 + n;
    } else {
      [val, p] = lpWide(lp, p, b, end, what);
    }
    if (p > end) throw new CorruptData(`${what}: an element inside the listpack`, start);
    p += backlenSize(p - start);
    if (p > end) throw new CorruptData(`${what}: an element back-length inside the listpack`, start);
    out.push(val);
  }
  if (p !== end) throw new CorruptData(`${what}: listpack elements ending at its 0xFF terminator`, p);
  const count = lp.readUInt16LE(4);
  if (count !== 0xffff && count !== out.length) throw new CorruptData(`${what}: ${count} listpack elements as its header says (found ${out.length})`, 4);
  return out;
}

function lpWide(lp: Buffer, p: number, b: number, end: number, what: string): [Buffer, number] {
  switch (b) {
    case 0xf0: {
      need(lp, p, 5, end, what);
      const n = lp.readUInt32LE(p + 1);
      return [lp.subarray(p + 5, p + 5 + n), p + 5 + n];
    }
    case 0xf1: need(lp, p, 3, end, what); return [intText(lp.readInt16LE(p + 1)), p + 3];
    case 0xf2: need(lp, p, 4, end, what); return [intText(lp.readIntLE(p + 1, 3)), p + 4];
    case 0xf3: need(lp, p, 5, end, what); return [intText(lp.readInt32LE(p + 1)), p + 5];
    case 0xf4: need(lp, p, 9, end, what); return [Buffer.from(lp.readBigInt64LE(p + 1).toString()), p + 9];
    default: throw new CorruptData(`${what}: a listpack element encoding (got 0x${b.toString(16)})`, p);
  }
}

function need(lp: Buffer, p: number, n: number, end: number, what: string): void {
  if (p + n > end) throw new CorruptData(`${what}: a ${n}-byte listpack element`, p);
}

function intText(v: number): Buffer {
  return Buffer.from(String(v));
}
