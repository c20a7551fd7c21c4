// What verification reads of each key on one side: type and PTTL in one pipelined pass, then, for the keys that
// need comparing, the whole value in a second pass, each pass one pipeline per owning node.
import type { RespClient } from './resp-client';
import { printableBytes } from '../writer/command-text';
import { asBuffer, asNumber, type Call, type Reply } from './redis-calls';
import { stringCanonical, listCanonical, setCanonical, zsetCanonical, hashCanonical, hashFields, type Canonical } from './canonical';
import { streamCanonical } from './stream-canonical';
import { portableStreamCalls, portableGroupCalls, groupNames, portableStreamCanonical } from './stream-portable';
import type { ValueForm } from './value-form';

export interface KeyHead {
  /** TYPE: "none" when the key does not exist. */
  type: string;
  /** PTTL: -1 without expiry, -2 when missing. */
  pttl: number;
  /**
   * When the PTTL was read (local ms, the middle of its round trip): a TTL is compared as an absolute expiry, so two
   * sides read a second apart (an online recheck waits for the destination in between) still compare equal.
   */
  readAt?: number;
}

/** Where reads go: an EndpointReader (routed, shared clients), or one pinned connection (a WATCHing recheck). */
export interface KeyReader {
  nodeFor(key: Buffer): string;
  client(addr: string, db: number): Promise<RespClient>;
}

/** Groups batch positions by owning node so each pipeline goes to one node. */
function byNode(reader: KeyReader, keys: readonly Buffer[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const node = reader.nodeFor(k);
    (groups.get(node) ?? groups.set(node, []).get(node)!).push(i);
  });
  return groups;
}

/** Runs per-key calls (callsFor returns the calls of one key) grouped by node; replies per key, in key order. */
async function perKey(reader: KeyReader, db: number, keys: readonly Buffer[], callsFor: (k: Buffer, i: number) => Call[]): Promise<Reply[][]> {
  const out: Reply[][] = new Array(keys.length);
  await Promise.all([...byNode(reader, keys)].map(async ([node, idx]) => {
    const calls: Call[] = [];
    const sizes: number[] = [];
    for (const i of idx) {
      const c = callsFor(keys[i], i);
      sizes.push(c.length);
      calls.push(...c);
    }
    const replies = await (await reader.client(node, db)).pipeline(calls);
    let pos = 0;
    idx.forEach((i, j) => { out[i] = replies.slice(pos, pos + sizes[j]); pos += sizes[j]; });
  }));
  return out;
}

export async function readHeads(reader: KeyReader, db: number, keys: readonly Buffer[]): Promise<KeyHead[]> {
  const sent = Date.now();
  const replies = await perKey(reader, db, keys, (k) => [['TYPE', k], ['PTTL', k]]);
  const readAt = (sent + Date.now()) / 2;
  return replies.map(([t, p]) => ({ type: asBuffer(t).toString('latin1'), pttl: asNumber(p), readAt }));
}

export async function readExists(reader: KeyReader, db: number, keys: readonly Buffer[]): Promise<boolean[]> {
  const replies = await perKey(reader, db, keys, (k) => [['EXISTS', k]]);
  return replies.map(([r]) => asNumber(r) === 1);
}

function valueCall(type: string, key: Buffer): Call[] {
  switch (type) {
    case 'string': return [['GET', key]];
    case 'list': return [['LRANGE', key, 0, -1]];
    case 'set': return [['SMEMBERS', key]];
    case 'zset': return [['ZRANGE', key, 0, -1, 'WITHSCORES']];
    case 'hash': return [['HGETALL', key]];
    case 'stream': return [['XINFO', 'STREAM', key, 'FULL', 'COUNT', 0]];
    default: return [['DUMP', key]]; // a module type: its serialized form is all there is to compare
  }
}

function canonicalOf(type: string, r: Reply, form: ValueForm): Canonical {
  switch (type) {
    case 'string': return stringCanonical(r);
    case 'list': return listCanonical(r);
    case 'set': return setCanonical(r);
    case 'zset': return zsetCanonical(r);
    case 'hash': return hashCanonical(r, null);
    case 'stream': return streamCanonical(r, form.streamMetadata);
    default: return [['dump', asBuffer(r)]];
  }
}

/** Values of keys (types[i] is the type both sides agree on); null where the key vanished meanwhile. */
export async function readValues(reader: KeyReader, db: number, keys: readonly Buffer[], types: readonly string[], form: ValueForm): Promise<Array<Canonical | null>> {
  const portable = (i: number): boolean => types[i] === 'stream' && !form.streamFull;
  const replies = await perKey(reader, db, keys, (k, i) => (portable(i) ? portableStreamCalls(k) : valueCall(types[i], k)));
  const values = replies.map(([r], i) => {
    if (r instanceof Error) throw new Error(`reading ${types[i]} key ${printableBytes(keys[i])}: ${r.message}`);
    return r === null || portable(i) ? null : canonicalOf(types[i], r, form);
  });
  if (form.fieldTtls) await addFieldTtls(reader, db, keys, types, replies, values);
  if (!form.streamFull) await addPortableStreams(reader, db, keys, types, replies, values);
  return values;
}

/** Streams read without XINFO STREAM FULL: a second pass per group for its pending entries and consumers. */
async function addPortableStreams(reader: KeyReader, db: number, keys: readonly Buffer[], types: readonly string[], replies: Reply[][], values: Array<Canonical | null>): Promise<void> {
  const streams = keys.map((_, i) => i).filter((i) => types[i] === 'stream' && !(replies[i][0] instanceof Error) && replies[i][0] !== null);
  const groups = new Map(streams.map((i) => [i, groupNames(replies[i][2])]));
  const more = await perKey(reader, db, streams.map((i) => keys[i]), (k, j) => groups.get(streams[j])!.flatMap((g) => portableGroupCalls(k, g)));
  streams.forEach((i, j) => {
    const [info, range, groupList] = replies[i];
    const per: Array<[Reply, Reply]> = [];
    for (let g = 0; g < more[j].length; g += 2) per.push([more[j][g], more[j][g + 1]]);
    values[i] = portableStreamCanonical(info, range, groupList, per);
  });
}

async function addFieldTtls(reader: KeyReader, db: number, keys: readonly Buffer[], types: readonly string[], replies: Reply[][], values: Array<Canonical | null>): Promise<void> {
  const hashes = keys.map((_, i) => i).filter((i) => types[i] === 'hash' && values[i] !== null);
  const fieldsOf = new Map(hashes.map((i) => [i, hashFields(replies[i][0])]));
  const sub = hashes.map((i) => keys[i]);
  const ttls = await perKey(reader, db, sub, (k, j) => {
    const fields = fieldsOf.get(hashes[j]) ?? [];
    return [['HPEXPIRETIME', k, 'FIELDS', fields.length, ...fields]];
  });
  hashes.forEach((i, j) => { values[i] = hashCanonical(replies[i][0], ttls[j][0]); });
}

/** Everything compared of one key on one side: value null when the key does not exist (or vanished while read). */
export interface KeyState extends KeyHead {
  value: Canonical | null;
}

/** Head and value of each key, each read by its own type on this side. */
export async function readStates(reader: KeyReader, db: number, keys: readonly Buffer[], form: ValueForm): Promise<KeyState[]> {
  const heads = await readHeads(reader, db, keys);
  const present = keys.map((_, i) => i).filter((i) => heads[i].type !== 'none');
  const values = await readValues(reader, db, present.map((i) => keys[i]), present.map((i) => heads[i].type), form);
  const out: KeyState[] = heads.map((h) => ({ ...h, value: null }));
  present.forEach((i, j) => { out[i].value = values[j]; });
  return out;
}
