// Zipmap (zipmap.c): the Redis <= 2.4 encoding of small hashes.
import { CorruptData } from './errors';

const ZIPMAP_BIGLEN = 254;
const ZIPMAP_END = 255;

/** Field, value, field, value, ... */
export function zipmapElements(zm: Buffer, what = 'zipmap'): Buffer[] {
  if (zm.length < 2) throw new CorruptData(`${what}: a zipmap of at least 2 bytes`, 0);
  const out: Buffer[] = [];
  let p = 1;
  for (;;) {
    if (p >= zm.length) throw new CorruptData(`${what}: the zipmap end marker`, p);
    if (zm[p] === ZIPMAP_END) break;
    let n: number;
    [n, p] = zmLen(zm, p, what);
    const field = zm.subarray(p, p + n);
    p += n;
    [n, p] = zmLen(zm, p, what);
    if (p >= zm.length) throw new CorruptData(`${what}: a zipmap free-space byte`, p);
    const free = zm[p++];
    const value = zm.subarray(p, p + n);
    p += n + free;
    if (p > zm.length) throw new CorruptData(`${what}: a zipmap entry inside the zipmap`, p);
    out.push(field, value);
  }
  if (p !== zm.length - 1) throw new CorruptData(`${what}: the zipmap to end at its end marker`, p);
  // Redis checks the count byte whenever it is exact (< 254); 0xFF as a count is rejected the same way.
  const count = zm[0];
  if (count >= ZIPMAP_BIGLEN + 1 || (count < ZIPMAP_BIGLEN && count * 2 !== out.length)) {
    throw new CorruptData(`${what}: a zipmap count byte matching its ${out.length / 2} entries (got ${count})`, 0);
  }
  return out;
}

function zmLen(zm: Buffer, p: number, what: string): [number, number] {
  if (p >= zm.length) throw new CorruptData(`${what}: a zipmap length`, p);
  const b = zm[p];
  if (b < ZIPMAP_BIGLEN) return [b, p + 1];
  if (b === ZIPMAP_BIGLEN && p + 5 <= zm.length) return [zm.readUInt32LE(p + 1), p + 5];
  throw new CorruptData(`${what}: a zipmap length`, p);
}
