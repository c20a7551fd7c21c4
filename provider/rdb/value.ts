// How each RDB_TYPE_* value is laid out: an optional header, then a count of items. One walk serves three uses:
// stepping over a value while streaming (acc null), decoding a whole value, and decoding a big value item by item.
import { Cursor } from './cursor';
import { CorruptData } from './errors';
import { RDB_TYPE, type BigKeyPart, type DecodedValue, type StreamValue, type ValueKind } from './entry';
import { intsetElements } from './intset';
import { lpElements } from './listpack';
import { skipModuleValue } from './module';
import { readStreamNode, readStreamTrailer } from './stream';
import { zipmapElements } from './zipmap';
import { zlElements } from './ziplist';

const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
const QUICKLIST_NODE_CONTAINER_PACKED = 2;

/** Decoded elements gathered by the walk. */
export class Acc {
  value: Buffer | null = null;
  elements: Buffer[] = [];
  members: Array<[Buffer, number]> = [];
  fields: Array<[Buffer, Buffer]> = [];
  fieldExpire: Array<[Buffer, number]> = [];
  stream: StreamValue | null = null;
  streamEntries: StreamValue['entries'] = [];
  moduleType = '';
  minExpire = 0;

  constructor(readonly kind: ValueKind) {}

  /** Decoded items gathered, weighted by their objects: a stream entry (id with two BigInts, field pairs) counts 4. */
  count(): number {
    return this.elements.length + this.members.length + this.fields.length + this.streamEntries.length * 4;
  }

  /** Hands out what was gathered and starts empty again; a stream's entries before its trailer as a part of their own. */
  take(): BigKeyPart {
    const d: BigKeyPart = this.kind === 'stream' && this.stream === null ? { kind: 'stream-entries', entries: this.streamEntries } : this.toDecoded();
    this.streamEntries = [];
    this.elements = [];
    this.members = [];
    this.fields = [];
    this.fieldExpire = [];
    return d;
  }

  toDecoded(): DecodedValue {
    switch (this.kind) {
      case 'string': return { kind: 'string', value: this.value ?? Buffer.alloc(0) };
      case 'list': return { kind: 'list', elements: this.elements };
      case 'set': return { kind: 'set', members: this.elements };
      case 'zset': return { kind: 'zset', members: this.members };
      case 'hash': return { kind: 'hash', fields: this.fields, fieldExpireAtMs: this.fieldExpire };
      case 'stream': {
        if (this.stream === null) throw new CorruptData('a stream value', 0);
        return { kind: 'stream', stream: this.stream };
      }
      case 'module': return { kind: 'module', moduleType: this.moduleType };
    }
  }
}

export interface Layout {
  kind: ValueKind;
  /** Whether the items may be handed out in parts (collections whose items are separate records). */
  splittable: boolean;
  /** Reads what precedes the items and returns how many items follow. */
  header(c: Cursor, acc: Acc | null): number;
  item(c: Cursor, acc: Acc | null): void;
  /** Reads what follows the items (streams: metadata and consumer groups). */
  trailer?(c: Cursor, acc: Acc | null): void;
}

const noItem = (): void => {
  throw new CorruptData('no items after this value header', 0);
};

function counted(kind: ValueKind, item: Layout['item']): Layout {
  const what = `the ${kind} element count`;
  return { kind, splittable: true, header: (c) => c.len(what), item };
}

function blob(kind: ValueKind, decode: (b: Buffer, acc: Acc) => void, minExpirePrefix = false): Layout {
  const what = `an encoded ${kind}`;
  return {
    kind,
    splittable: false,
    header(c, acc) {
      if (minExpirePrefix) {
        const minExpire = c.millis('the hash minimum field expire time');
        if (acc) acc.minExpire = minExpire;
      }
      if (acc === null) c.skipStr(what);
      else decode(c.str(what), acc);
      return 0;
    },
    item: noItem,
  };
}

function strItem(c: Cursor, acc: Acc | null, what: string): Buffer | null {
  if (acc === null) {
    c.skipStr(what);
    return null;
  }
  return c.str(what);
}

export function parseScore(b: Buffer, at = 0): number {
  const t = b.toString('latin1').toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  const v = t.length === 0 ? NaN : Number(t);
  if (Number.isNaN(v)) throw new CorruptData(`a zset score (got ${JSON.stringify(t)})`, at);
  return v;
}

function checkScore(v: number, at: number): number {
  if (Number.isNaN(v)) throw new CorruptData('a zset score that is not NaN', at);
  return v;
}

function pairs(el: Buffer[], what: string): void {
  if (el.length % 2 !== 0) throw new CorruptData(`${what} with an even number of elements`, 0);
}

/** One string element of a list or a set; `what` names it in errors. */
function elementItem(what: string): Layout['item'] {
  return (c, acc) => {
    const v = strItem(c, acc, what);
    if (v && acc) acc.elements.push(v);
  };
}
const listItem = elementItem('a list element');
const setItem = elementItem('a set member');
const hashItem: Layout['item'] = (c, acc) => {
  const f = strItem(c, acc, 'a hash field');
  const v = strItem(c, acc, 'a hash value');
  if (f && v && acc) acc.fields.push([f, v]);
};

function zsetItem(binary: boolean): Layout['item'] {
  return (c, acc) => {
    const m = strItem(c, acc, 'a zset member');
    const at = c.pos;
    if (acc === null) {
      if (binary) c.take(8, 'a binary zset score');
      else c.skipStrDouble();
      return;
    }
    const score = binary ? c.doubleLE('a binary zset score') : c.strDouble();
    if (m) acc.members.push([m, checkScore(score, at)]);
  };
}

function hashTtlItem(relative: boolean): Layout['item'] {
  return (c, acc) => {
    const ttl = c.len('a hash field TTL');
    const f = strItem(c, acc, 'a hash field');
    const v = strItem(c, acc, 'a hash value');
    if (!f || !v || !acc) return;
    acc.fields.push([f, v]);
    const expireAt = ttl === 0 ? 0 : relative ? ttl + acc.minExpire - 1 : ttl;
    if (expireAt !== 0) acc.fieldExpire.push([f, expireAt]);
  };
}

const quicklistItem: Layout['item'] = (c, acc) => {
  if (acc === null) return c.skipStr('a quicklist ziplist node');
  for (const e of zlElements(c.str('a quicklist ziplist node'), 'quicklist node')) acc.elements.push(e);
};

const quicklist2Item: Layout['item'] = (c, acc) => {
  const at = c.pos;
  const container = c.len('a quicklist node container');
  if (container !== QUICKLIST_NODE_CONTAINER_PLAIN && container !== QUICKLIST_NODE_CONTAINER_PACKED) {
    throw new CorruptData(`a quicklist node container of 1 or 2 (got ${container})`, at);
  }
  if (acc === null) return c.skipStr('a quicklist node');
  const node = c.str('a quicklist node');
  if (container === QUICKLIST_NODE_CONTAINER_PLAIN) acc.elements.push(node);
  else for (const e of lpElements(node, 'quicklist node')) acc.elements.push(e);
};

function toPairs(el: Buffer[], acc: Acc, what: string): void {
  pairs(el, what);
  for (let i = 0; i < el.length; i += 2) acc.fields.push([el[i], el[i + 1]]);
}

function toMembers(el: Buffer[], acc: Acc, what: string): void {
  pairs(el, what);
  for (let i = 0; i < el.length; i += 2) acc.members.push([el[i], checkScore(parseScore(el[i + 1]), 0)]);
}

function toHashEx(el: Buffer[], acc: Acc, what: string): void {
  if (el.length % 3 !== 0) throw new CorruptData(`${what} of field, value, TTL triples`, 0);
  for (let i = 0; i < el.length; i += 3) {
    const f = el[i];
    acc.fields.push([f, el[i + 1]]);
    const ttl = Number(el[i + 2].toString('latin1'));
    if (!Number.isSafeInteger(ttl)) throw new CorruptData(`${what}: an integer field TTL`, 0);
    if (ttl !== 0) acc.fieldExpire.push([f, ttl]);
  }
}

// Nodes are items so a large stream arriving in small chunks resumes node by node, and a big one goes in parts of
// entries; the trailer (metadata, consumer groups) is read whole into the last part.
const streamLayout = (rdbType: number): Layout => ({
  kind: 'stream',
  splittable: true,
  header: (c) => c.len('the stream listpack count'),
  item: (c, acc) => readStreamNode(c, acc ? acc.streamEntries : null),
  trailer(c, acc) {
    const s = readStreamTrailer(c, rdbType, acc ? acc.streamEntries : null);
    if (acc) acc.stream = s;
  },
});

const LAYOUTS = new Map<number, Layout>([
  [RDB_TYPE.STRING, {
    kind: 'string',
    splittable: false,
    header(c, acc) {
      if (acc === null) c.skipStr('a string value');
      else acc.value = c.str('a string value');
      return 0;
    },
    item: noItem,
  }],
  [RDB_TYPE.LIST, counted('list', listItem)],
  [RDB_TYPE.SET, counted('set', setItem)],
  [RDB_TYPE.ZSET, counted('zset', zsetItem(false))],
  [RDB_TYPE.ZSET_2, counted('zset', zsetItem(true))],
  [RDB_TYPE.HASH, counted('hash', hashItem)],
  [RDB_TYPE.HASH_METADATA_PRE_GA, counted('hash', hashTtlItem(false))],
  [RDB_TYPE.HASH_METADATA, {
    kind: 'hash',
    splittable: true,
    header(c, acc) {
      const minExpire = c.millis('the hash minimum field expire time');
      if (acc) acc.minExpire = minExpire;
      return c.len('the hash element count');
    },
    item: hashTtlItem(true),
  }],
  [RDB_TYPE.LIST_QUICKLIST, counted('list', quicklistItem)],
  [RDB_TYPE.LIST_QUICKLIST_2, counted('list', quicklist2Item)],
  [RDB_TYPE.HASH_ZIPMAP, blob('hash', (b, acc) => toPairs(zipmapElements(b), acc, 'zipmap'))],
  [RDB_TYPE.LIST_ZIPLIST, blob('list', (b, acc) => { for (const e of zlElements(b)) acc.elements.push(e); })],
  [RDB_TYPE.SET_INTSET, blob('set', (b, acc) => { acc.elements.push(...intsetElements(b)); })],
  [RDB_TYPE.ZSET_ZIPLIST, blob('zset', (b, acc) => toMembers(zlElements(b), acc, 'zset ziplist'))],
  [RDB_TYPE.HASH_ZIPLIST, blob('hash', (b, acc) => toPairs(zlElements(b), acc, 'hash ziplist'))],
  [RDB_TYPE.HASH_LISTPACK, blob('hash', (b, acc) => toPairs(lpElements(b), acc, 'hash listpack'))],
  [RDB_TYPE.ZSET_LISTPACK, blob('zset', (b, acc) => toMembers(lpElements(b), acc, 'zset listpack'))],
  [RDB_TYPE.SET_LISTPACK, blob('set', (b, acc) => { for (const e of lpElements(b)) acc.elements.push(e); })],
  [RDB_TYPE.HASH_LISTPACK_EX_PRE_GA, blob('hash', (b, acc) => toHashEx(lpElements(b), acc, 'hash listpack-ex'))],
  [RDB_TYPE.HASH_LISTPACK_EX, blob('hash', (b, acc) => toHashEx(lpElements(b), acc, 'hash listpack-ex'), true)],
  [RDB_TYPE.STREAM_LISTPACKS, streamLayout(RDB_TYPE.STREAM_LISTPACKS)],
  [RDB_TYPE.STREAM_LISTPACKS_2, streamLayout(RDB_TYPE.STREAM_LISTPACKS_2)],
  [RDB_TYPE.STREAM_LISTPACKS_3, streamLayout(RDB_TYPE.STREAM_LISTPACKS_3)],
  [RDB_TYPE.MODULE_2, {
    kind: 'module',
    splittable: false,
    header(c, acc) {
      const name = skipModuleValue(c);
      if (acc) acc.moduleType = name;
      return 0;
    },
    item: noItem,
  }],
]);

/** The layout of a value type, or undefined for types this reader cannot walk. */
export function layoutOf(rdbType: number): Layout | undefined {
  return LAYOUTS.get(rdbType);
}

/** Most keys are strings: decoded without the collection machinery. */
function decodeString(raw: Buffer): DecodedValue {
  const c = new Cursor(raw, 0, raw.length, false);
  const value = c.str('a string value');
  if (c.pos !== raw.length) throw new CorruptData(`the string value to end at its length (${raw.length - c.pos} bytes left)`, c.pos);
  return { kind: 'string', value };
}

/** Decodes a whole value from its raw bytes (as KeyEntry.raw holds them). */
export function decodeRaw(rdbType: number, raw: Buffer): DecodedValue {
  if (rdbType === RDB_TYPE.STRING) return decodeString(raw);
  const layout = layoutOf(rdbType);
  if (layout === undefined) throw new CorruptData(`a known value type (got ${rdbType})`, 0);
  const c = new Cursor(raw, 0, raw.length, false);
  const acc = new Acc(layout.kind);
  const n = layout.header(c, acc);
  for (let i = 0; i < n; i++) layout.item(c, acc);
  layout.trailer?.(c, acc);
  if (c.pos !== raw.length) throw new CorruptData(`the value to end after its ${n} items (${raw.length - c.pos} bytes left)`, c.pos);
  return acc.toDecoded();
}
