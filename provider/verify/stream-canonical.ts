// XINFO STREAM key FULL COUNT 0 reduced to what a faithful copy must reproduce: entries, last id, entries added,
// max deleted id, first id, and each group's last delivered id, entries read, PEL and consumers with their pending
// entries. Left out: radix tree sizes (encoding), consumers' seen/active times (when the copy last touched them).
// A group's entries-read and lag are compared only when both sides know them: Redis 7.0's own replication leaves
// entries-read unknown (nil) on a replica after XREADGROUP, so a faithful replica cannot always have it.
import { asArray, asBuffer, type Reply } from './redis-calls';
import { joinParts, type Canonical } from './canonical';

const STREAM_FIELDS = ['length', 'last-generated-id'];
/** Compared only between servers of one release line (see ValueForm.streamMetadata). */
const METADATA_FIELDS = ['max-deleted-entry-id', 'entries-added', 'recorded-first-entry-id'];
const GROUP_FIELDS = ['last-delivered-id', 'pel-count'];
const GROUP_FIELDS_IF_KNOWN = ['entries-read', 'lag'];

/** A flat [name, value, name, value...] reply as a map by name. */
function mapOf(r: Reply): Map<string, Reply> {
  const flat = asArray(r);
  const m = new Map<string, Reply>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(asBuffer(flat[i]).toString('latin1'), flat[i + 1]);
  return m;
}

/** Any nested reply as unambiguous bytes. */
function flatten(r: Reply | undefined): Buffer {
  if (r === undefined || r === null) return Buffer.from('-');
  if (Array.isArray(r)) return Buffer.concat([Buffer.from(`*${r.length}:`), joinParts(r.map(flatten))]);
  return Buffer.concat([Buffer.from('$'), asBuffer(r)]);
}

export function streamCanonical(info: Reply, withMetadata = true): Canonical {
  const top = mapOf(info);
  const out: Canonical = (withMetadata ? [...STREAM_FIELDS, ...METADATA_FIELDS] : STREAM_FIELDS).map((f) => [f, flatten(top.get(f))]);
  out.push(['entries', flatten(top.get('entries'))]);
  const groups = asArray(top.get('groups') ?? null).map(mapOf);
  groups.sort((a, b) => Buffer.compare(asBuffer(a.get('name') ?? null), asBuffer(b.get('name') ?? null)));
  out.push(['group names', joinParts(groups.map((g) => asBuffer(g.get('name') ?? null)))]);
  for (const g of groups) out.push(...groupCanonical(g));
  return out;
}

function groupCanonical(g: Map<string, Reply>): Canonical {
  const name = asBuffer(g.get('name') ?? null).toString('utf8');
  const out: Canonical = GROUP_FIELDS.map((f) => [`group ${name} ${f}`, flatten(g.get(f))]);
  for (const f of GROUP_FIELDS_IF_KNOWN) {
    const v = g.get(f);
    out.push([`group ${name} ${f}`, v === null || v === undefined ? null : flatten(v)]);
  }
  out.push([`group ${name} pending`, flatten(g.get('pending'))]);
  const consumers = asArray(g.get('consumers') ?? null).map(mapOf);
  consumers.sort((a, b) => Buffer.compare(asBuffer(a.get('name') ?? null), asBuffer(b.get('name') ?? null)));
  for (const c of consumers) {
    const cname = asBuffer(c.get('name') ?? null).toString('utf8');
    out.push([`group ${name} consumer ${cname}`, Buffer.concat([flatten(c.get('pel-count')), flatten(c.get('pending'))])]);
  }
  out.push([`group ${name} consumer names`, joinParts(consumers.map((c) => asBuffer(c.get('name') ?? null)))]);
  return out;
}
