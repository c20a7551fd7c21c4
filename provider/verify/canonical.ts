// A value in a form where equal Redis values give equal bytes whatever their encoding or element order:
// named parts, so a difference can be reported by the part that differs ("zset scores", "group g1").
import { asArray, asBuffer, type Reply } from './redis-calls';

/** Named parts; a null part is unknown on that side (e.g. a stream group's entries-read) and matches anything. */
export type Canonical = Array<[part: string, bytes: Buffer | null]>;

/** Length-prefixed concatenation: ["ab","c"] and ["a","bc"] must not collide. */
export function joinParts(items: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const b of items) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(b.length);
    out.push(len, b);
  }
  return Buffer.concat(out);
}

const count = (n: number): Buffer => Buffer.from(String(n));

export function stringCanonical(r: Reply): Canonical {
  return [['bytes', asBuffer(r)]];
}

export function listCanonical(r: Reply): Canonical {
  const items = asArray(r).map(asBuffer);
  return [['length', count(items.length)], ['elements', joinParts(items)]];
}

export function setCanonical(r: Reply): Canonical {
  const items = asArray(r).map(asBuffer).sort(Buffer.compare);
  return [['cardinality', count(items.length)], ['members', joinParts(items)]];
}

/** ZRANGE ... WITHSCORES pairs, sorted by member, scores as numbers (Redis spells infinity "inf"). */
export function zsetCanonical(r: Reply): Canonical {
  const flat = asArray(r).map(asBuffer);
  const pairs: Array<[Buffer, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], normalizeScore(flat[i + 1].toString('latin1'))]);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  return [
    ['cardinality', count(pairs.length)],
    ['members', joinParts(pairs.map(([m]) => m))],
    ['scores', Buffer.from(pairs.map(([, s]) => s).join(','))],
  ];
}

function normalizeScore(s: string): string {
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return '+inf';
  if (lower === '-inf') return '-inf';
  return String(Number(s));
}

/** HGETALL pairs sorted by field; field TTLs (HPEXPIRETIME, in the same field order) when the server has them. */
export function hashCanonical(r: Reply, fieldTtls: Reply | null): Canonical {
  const flat = asArray(r).map(asBuffer);
  const order: number[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) order.push(i);
  const ttls = fieldTtls === null ? null : asArray(fieldTtls);
  order.sort((a, b) => Buffer.compare(flat[a], flat[b]));
  const out: Canonical = [
    ['length', count(order.length)],
    ['fields', joinParts(order.map((i) => flat[i]))],
    ['values', joinParts(order.map((i) => flat[i + 1]))],
  ];
  if (ttls) out.push(['field TTLs', Buffer.from(order.map((i) => String(ttls[i / 2] ?? '')).join(','))]);
  return out;
}

/** The fields of an HGETALL reply, in reply order (for HPEXPIRETIME). */
export function hashFields(r: Reply): Buffer[] {
  const flat = asArray(r).map(asBuffer);
  return flat.filter((_, i) => i % 2 === 0);
}
