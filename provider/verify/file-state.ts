// A key of an RDB file in the form verify compares a server's key in (key-state.ts): the value's canonical parts
// built from the reply the destination would give for it (GET, LRANGE, SMEMBERS, ZRANGE WITHSCORES, HGETALL with
// HPEXPIRETIME, XINFO STREAM FULL), so a file and a server are compared by the same code as two servers.
import type { DecodedValue, StreamId, StreamValue } from '../rdb/entry';
import type { Reply } from './redis-calls';
import type { KeyState } from './key-state';
import type { ValueForm } from './value-form';
import { stringCanonical, listCanonical, setCanonical, zsetCanonical, hashCanonical, type Canonical } from './canonical';
import { streamCanonical } from './stream-canonical';

const id = (x: StreamId): Buffer => Buffer.from(`${x.ms}-${x.seq}`);

function scoreText(s: number): Buffer {
  return Buffer.from(s === Infinity ? 'inf' : s === -Infinity ? '-inf' : String(s));
}

/** What XINFO STREAM key FULL answers for this stream: the parts streamCanonical reads. */
function streamReply(s: StreamValue): Reply {
  const groups: Reply[] = s.groups.map((g) => {
    const pel = new Map(g.pending.map((p) => [id(p.id).toString('latin1'), p]));
    return [
      Buffer.from('name'), g.name,
      Buffer.from('last-delivered-id'), id(g.lastDeliveredId),
      // Unknown (null) where the file does not store it: compared only when both sides know it.
      Buffer.from('entries-read'), g.entriesRead,
      Buffer.from('lag'), null,
      Buffer.from('pel-count'), g.pending.length,
      Buffer.from('pending'), g.pending.map((p): Reply => [id(p.id), p.consumer, p.deliveryTimeMs, p.deliveryCount]),
      Buffer.from('consumers'), g.consumers.map((c): Reply => [
        Buffer.from('name'), c.name,
        Buffer.from('pel-count'), c.pending.length,
        Buffer.from('pending'), c.pending.map((pid): Reply => {
          const p = pel.get(id(pid).toString('latin1'));
          return [id(pid), p ? p.deliveryTimeMs : null, p ? p.deliveryCount : null];
        }),
      ]),
    ];
  });
  return [
    Buffer.from('length'), s.length,
    Buffer.from('last-generated-id'), id(s.lastId),
    Buffer.from('entries'), s.entries.map(([eid, pairs]): Reply => [id(eid), pairs.flat()]),
    Buffer.from('groups'), groups,
  ];
}

/**
 * The value's canonical parts; null for what a load does not create (an empty collection, which Redis skips too) or
 * what cannot be compared from the file (a module value, a stream when the destination has no XINFO ... FULL).
 */
export function fileCanonical(v: DecodedValue, form: ValueForm): Canonical | null {
  switch (v.kind) {
    case 'string': return stringCanonical(v.value);
    case 'list': return v.elements.length ? listCanonical(v.elements) : null;
    case 'set': return v.members.length ? setCanonical(v.members) : null;
    case 'zset': return v.members.length ? zsetCanonical(v.members.flatMap(([m, s]) => [m, scoreText(s)])) : null;
    case 'hash': {
      if (!v.fields.length) return null;
      const ttls = new Map(v.fieldExpireAtMs.map(([f, t]) => [f.toString('latin1'), t]));
      return hashCanonical(v.fields.flat(), form.fieldTtls ? v.fields.map(([f]) => ttls.get(f.toString('latin1')) ?? -1) : null);
    }
    // Stream metadata (entries-added, max deleted id, first id) is left out: a file of another release derives it
    // differently, as between two servers of different lines (value-form.ts).
    case 'stream': return form.streamFull ? streamCanonical(streamReply(v.stream), false) : null;
    case 'module': return null;
  }
}

/** Whether loading the value creates a key at all (Redis skips empty collections). */
export function createsKey(v: DecodedValue): boolean {
  switch (v.kind) {
    case 'list': return v.elements.length > 0;
    case 'set': return v.members.length > 0;
    case 'zset': return v.members.length > 0;
    case 'hash': return v.fields.length > 0;
    default: return true;
  }
}

/** The file's key as verify reads a server's: TYPE, PTTL now (from its absolute expiry) and the value. */
export function fileKeyState(v: DecodedValue, expireAtMs: number | null, form: ValueForm, nowMs: number): KeyState {
  return { type: v.kind, pttl: expireAtMs === null ? -1 : Math.max(0, expireAtMs - nowMs), readAt: nowMs, value: fileCanonical(v, form) };
}
