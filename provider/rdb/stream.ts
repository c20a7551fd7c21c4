// Stream values (RDB_TYPE_STREAM_LISTPACKS, _2, _3): a radix tree of listpack nodes, then metadata, consumer
// groups, their pending entries lists and consumers. The same walk steps over a stream or decodes it.
import { Cursor } from './cursor';
import { CorruptData } from './errors';
import { RDB_TYPE, type StreamConsumer, type StreamGroup, type StreamId, type StreamPendingEntry, type StreamValue } from './entry';
import { lpElements } from './listpack';

const STREAM_ITEM_FLAG_DELETED = 1;
const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

/** One listpack node of the stream's radix tree: its 16-byte master id, then the listpack. */
export function readStreamNode(c: Cursor, out: StreamValue['entries'] | null): void {
  const at = c.pos;
  const nodeKey = c.str('a stream node key');
  if (nodeKey.length !== 16) throw new CorruptData('a 16-byte stream node key', at);
  const lp = c.str('a stream listpack');
  if (lp.length === 0) throw new CorruptData('a non-empty stream listpack', at);
  if (out) decodeNode(nodeKey, lp, out);
}

/** What follows the nodes: length, ids and counters, then the consumer groups. Null when not decoding. */
export function readStreamTrailer(c: Cursor, rdbType: number, entries: StreamValue['entries'] | null): StreamValue | null {
  const length = c.len('the stream length');
  const lastId = readId(c);
  let firstId: StreamId | null = null;
  let maxDeletedEntryId: StreamId | null = null;
  let entriesAdded: number | null = null;
  if (rdbType >= RDB_TYPE.STREAM_LISTPACKS_2) {
    firstId = readId(c);
    maxDeletedEntryId = readId(c);
    entriesAdded = Number(c.lenBig('the stream entries-added counter'));
  }
  const groups = readGroups(c, rdbType);
  if (entries === null) return null;
  return { entries, length, lastId, firstId, maxDeletedEntryId, entriesAdded, groups };
}

/** SCG_INVALID_ENTRIES_READ (-1) is stored as a 64-bit length: read it back as "unknown". */
function signedCounter(v: bigint): number | null {
  return v >= 1n << 63n ? null : Number(v);
}

function readId(c: Cursor): StreamId {
  const ms = c.lenBig('a stream id (ms part)');
  const seq = c.lenBig('a stream id (seq part)');
  return { ms, seq };
}

function rawId(c: Cursor): StreamId {
  const at = c.take(16, 'a 16-byte stream id');
  return { ms: c.buf.readBigUInt64BE(at), seq: c.buf.readBigUInt64BE(at + 8) };
}

function readGroups(c: Cursor, rdbType: number): StreamGroup[] {
  const groups: StreamGroup[] = [];
  const n = c.len('the consumer group count');
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(c.str('a consumer group name'));
    const lastDeliveredId = readId(c);
    const entriesRead = rdbType >= RDB_TYPE.STREAM_LISTPACKS_2 ? signedCounter(c.lenBig('the group entries-read counter')) : null;
    const pending: StreamPendingEntry[] = [];
    const pelSize = c.len('the group PEL size');
    for (let j = 0; j < pelSize; j++) {
      const id = rawId(c);
      const deliveryTimeMs = c.millis('a PEL delivery time');
      const deliveryCount = c.len('a PEL delivery count');
      pending.push({ id, consumer: Buffer.alloc(0), deliveryTimeMs, deliveryCount });
    }
    const consumers = readConsumers(c, rdbType, pending);
    groups.push({ name, lastDeliveredId, entriesRead, pending, consumers });
  }
  return groups;
}

function readConsumers(c: Cursor, rdbType: number, pel: StreamPendingEntry[]): StreamConsumer[] {
  const byId = new Map<string, StreamPendingEntry>();
  for (const p of pel) byId.set(`${p.id.ms}-${p.id.seq}`, p);
  const consumers: StreamConsumer[] = [];
  const n = c.len('the consumer count');
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(c.str('a consumer name'));
    const seenTimeMs = c.millis('a consumer seen time');
    const activeTimeMs = rdbType >= RDB_TYPE.STREAM_LISTPACKS_3 ? c.millis('a consumer active time') : null;
    const pending: StreamId[] = [];
    const m = c.len('the consumer PEL size');
    for (let j = 0; j < m; j++) {
      const at = c.pos;
      const id = rawId(c);
      const owner = byId.get(`${id.ms}-${id.seq}`);
      if (owner === undefined) throw new CorruptData('a consumer pending id that is in the group PEL', at);
      owner.consumer = name;
      pending.push(id);
    }
    consumers.push({ name, seenTimeMs, activeTimeMs, pending });
  }
  return consumers;
}

function lpInt(v: Buffer | undefined, what: string): number {
  const n = v === undefined ? NaN : Number(v.toString('latin1'));
  if (!Number.isSafeInteger(n)) throw new CorruptData(`${what} as an integer in a stream listpack`, 0);
  return n;
}

/** Appends the live entries of one listpack node (t_stream.c layout: master entry, then entries with deltas). */
function decodeNode(nodeKey: Buffer, lp: Buffer, out: StreamValue['entries']): void {
  const el = lpElements(lp, 'stream listpack');
  const masterMs = nodeKey.readBigUInt64BE(0);
  const masterSeq = nodeKey.readBigUInt64BE(8);
  let i = 2; // count and deleted-count are not needed: the entries themselves say which are live
  const numMasterFields = lpInt(el[i++], 'the master field count');
  const masterFields = el.slice(i, i + numMasterFields);
  i += numMasterFields;
  if (masterFields.length !== numMasterFields) throw new CorruptData('the master fields of a stream listpack', 0);
  i++; // the master entry's terminator
  while (i < el.length) {
    const flags = lpInt(el[i++], 'entry flags');
    const ms = masterMs + BigInt(lpInt(el[i++], 'the entry ms delta'));
    const seq = masterSeq + BigInt(lpInt(el[i++], 'the entry seq delta'));
    const pairs: Array<[Buffer, Buffer]> = [];
    if (flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
      for (const f of masterFields) pairs.push([f, need(el[i++])]);
    } else {
      const nf = lpInt(el[i++], 'the entry field count');
      for (let k = 0; k < nf; k++) pairs.push([need(el[i++]), need(el[i++])]);
    }
    i++; // lp-count, used by Redis to walk backwards
    if (i > el.length) throw new CorruptData('a complete stream entry', 0);
    if (!(flags & STREAM_ITEM_FLAG_DELETED)) out.push([{ ms, seq }, pairs]);
  }
}

function need(v: Buffer | undefined): Buffer {
  if (v === undefined) throw new CorruptData('a stream entry field or value', 0);
  return v;
}
