// Intset (intset.c): sorted integers of one width, the encoding of small all-integer sets.
import { CorruptData } from './errors';

export function intsetCheckHeader(is: Buffer, what: string): void {
  if (is.length < 8) throw new CorruptData(`${what}: an intset of at least 8 bytes`, 0);
  const enc = is.readUInt32LE(0);
  if (enc !== 2 && enc !== 4 && enc !== 8) throw new CorruptData(`${what}: an intset encoding of 2, 4 or 8 (got ${enc})`, 0);
  const count = is.readUInt32LE(4);
  if (8 + count * enc !== is.length) throw new CorruptData(`${what}: an intset of ${count} x ${enc} bytes in ${is.length - 8} bytes`, 4);
}

export function intsetElements(is: Buffer, what = 'intset'): Buffer[] {
  intsetCheckHeader(is, what);
  const enc = is.readUInt32LE(0);
  const count = is.readUInt32LE(4);
  const out: Buffer[] = [];
  for (let i = 0, p = 8; i < count; i++, p += enc) {
    const v = enc === 2 ? String(is.readInt16LE(p)) : enc === 4 ? String(is.readInt32LE(p)) : is.readBigInt64LE(p).toString();
    out.push(Buffer.from(v));
  }
  return out;
}
