// Ziplist (ziplist.c): the pre-7.0 compact encoding, still found in older RDB files and quicklist v1 nodes.
import { CorruptData } from './errors';

const ZIPLIST_HEADER_SIZE = 10;
const ZIP_END = 0xff;

export function zlCheckHeader(zl: Buffer, what: string): void {
  if (zl.length < ZIPLIST_HEADER_SIZE + 1) throw new CorruptData(`${what}: a ziplist of at least 11 bytes`, 0);
  if (zl.readUInt32LE(0) !== zl.length) throw new CorruptData(`${what}: a ziplist whose header size matches its ${zl.length} bytes`, 0);
  if (zl[zl.length - 1] !== ZIP_END) throw new CorruptData(`${what}: a ziplist ending with 0xFF`, zl.length - 1);
}

/** All entries of a ziplist, integers as decimal text. */
export function zlElements(zl: Buffer, what = 'ziplist'): Buffer[] {
  zlCheckHeader(zl, what);
  const out: Buffer[] = [];
  const end = zl.length - 1;
  let p = ZIPLIST_HEADER_SIZE;
  let prevSize = 0;
  while (p < end) {
    const start = p;
    const prevlen = zl[p] < 254 ? zl[p++] : readPrevlen(zl, p++, end, what);
    if (zl[start] >= 254) p += 4;
    if (prevlen !== prevSize) throw new CorruptData(`${what}: a ziplist prevlen of ${prevSize} (got ${prevlen})`, start);
    if (p >= end) throw new CorruptData(`${what}: a ziplist entry encoding`, p);
    let val: Buffer;
    [val, p] = zlValue(zl, p, end, what);
    if (p > end) throw new CorruptData(`${what}: a ziplist entry inside the ziplist`, start);
    prevSize = p - start;
    out.push(val);
  }
  const count = zl.readUInt16LE(8);
  if (count !== 0xffff && count !== out.length) throw new CorruptData(`${what}: ${count} ziplist entries as its header says (found ${out.length})`, 8);
  return out;
}

function readPrevlen(zl: Buffer, p: number, end: number, what: string): number {
  if (zl[p] === 255 || p + 5 > end) throw new CorruptData(`${what}: a ziplist prevlen`, p);
  return zl.readUInt32LE(p + 1);
}

function zlValue(zl: Buffer, p: number, end: number, what: string): [Buffer, number] {
  const b = zl[p];
  switch (b >> 6) {
    case 0: { const n = b & 0x3f; return [zl.subarray(p + 1, p + 1 + n), p + 1 + n]; }
    case 1: { chk(p, 2, end, what); const n = ((b & 0x3f) << 8) | zl[p + 1]; return [zl.subarray(p + 2, p + 2 + n), p + 2 + n]; }
    case 2: { chk(p, 5, end, what); const n = zl.readUInt32BE(p + 1); return [zl.subarray(p + 5, p + 5 + n), p + 5 + n]; }
    default: return zlInt(zl, p, b, end, what);
  }
}

function zlInt(zl: Buffer, p: number, b: number, end: number, what: string): [Buffer, number] {
  switch (b) {
    case 0xc0: chk(p, 3, end, what); return [text(zl.readInt16LE(p + 1)), p + 3];
    case 0xd0: chk(p, 5, end, what); return [text(zl.readInt32LE(p + 1)), p + 5];
    case 0xe0: chk(p, 9, end, what); return [Buffer.from(zl.readBigInt64LE(p + 1).toString()), p + 9];
    case 0xf0: chk(p, 4, end, what); return [text(zl.readIntLE(p + 1, 3)), p + 4];
    case 0xfe: chk(p, 2, end, what); return [text(zl.readInt8(p + 1)), p + 2];
    default:
      if (b >= 0xf1 && b <= 0xfd) return [text((b & 0x0f) - 1), p + 1];
      throw new CorruptData(`${what}: a ziplist entry encoding (got 0x${b.toString(16)})`, p);
  }
}

function chk(p: number, n: number, end: number, what: string): void {
  if (p + n > end) throw new CorruptData(`${what}: a ${n}-byte ziplist entry`, p);
}

function text(v: number): Buffer {
  return Buffer.from(String(v));
}
