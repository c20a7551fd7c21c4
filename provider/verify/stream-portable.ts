// A stream read with what Redis 5.0 already has (no XINFO STREAM ... FULL): entries, length, last id, and per group
// its last delivered id, pending entries (id, consumer, delivery count: XPENDING gives the idle time, not the
// delivery time, so times are left out) and consumers with their pending counts. Both sides are read this way when
// either lacks FULL, so the parts compare.
import { asArray, asBuffer, asNumber, type Call, type Reply } from './redis-calls';
import { joinParts, type Canonical } from './canonical';

/** First pass, per stream key. */
export function portableStreamCalls(key: Buffer): Call[] {
  return [['XINFO', 'STREAM', key], ['XRANGE', key, '-', '+'], ['XINFO', 'GROUPS', key]];
}

/** Group names from the first pass's XINFO GROUPS reply. */
export function groupNames(groups: Reply): Buffer[] {
  return asArray(groups).map((g) => mapOf(g).get('name')).filter((n): n is Buffer => Buffer.isBuffer(n)).sort(Buffer.compare);
}

/** Second pass, per group. */
export function portableGroupCalls(key: Buffer, group: Buffer): Call[] {
  return [['XPENDING', key, group, '-', '+', 1_000_000_000], ['XINFO', 'CONSUMERS', key, group]];
}

function mapOf(r: Reply): Map<string, Reply> {
  const flat = asArray(r);
  const m = new Map<string, Reply>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(asBuffer(flat[i]).toString('latin1'), flat[i + 1]);
  return m;
}

function flatten(r: Reply | undefined): Buffer {
  if (r === undefined || r === null) return Buffer.from('-');
  if (Array.isArray(r)) return Buffer.concat([Buffer.from(`*${r.length}:`), joinParts(r.map(flatten))]);
  return Buffer.concat([Buffer.from('$'), asBuffer(r)]);
}

export function portableStreamCanonical(info: Reply, range: Reply, groups: Reply, perGroup: Array<[pending: Reply, consumers: Reply]>): Canonical {
  const top = mapOf(info);
  const out: Canonical = [['length', flatten(top.get('length'))], ['last-generated-id', flatten(top.get('last-generated-id'))], ['entries', flatten(range)]];
  const byName = new Map(asArray(groups).map((g) => {
    const m = mapOf(g);
    return [asBuffer(m.get('name') ?? null).toString('latin1'), m] as const;
  }));
  const names = groupNames(groups);
  out.push(['group names', joinParts(names)]);
  names.forEach((name, i) => {
    const g = byName.get(name.toString('latin1'))!;
    const label = `group ${name.toString('utf8')}`;
    out.push([`${label} last-delivered-id`, flatten(g.get('last-delivered-id'))]);
    // XPENDING detail: [id, consumer, idle ms, delivery count]: the idle time is when it is read, so it is left out.
    const pel = asArray(perGroup[i][0]).map((p) => {
      const [id, consumer, , count] = asArray(p);
      return joinParts([asBuffer(id), asBuffer(consumer), Buffer.from(String(asNumber(count)))]);
    });
    out.push([`${label} pending`, joinParts(pel)]);
    const consumers = asArray(perGroup[i][1]).map(mapOf)
      .map((c) => joinParts([asBuffer(c.get('name') ?? null), flatten(c.get('pending'))]))
      .sort(Buffer.compare);
    out.push([`${label} consumers`, joinParts(consumers)]);
  });
  return out;
}
