// The canonical JSON dataset of test/fixtures/rdb/README.md: what Redis would report after loading the
// RDB, so the reader can be compared with real servers. Used by tests and by `redis-sync rdb dump`.
import { isUtf8 } from 'node:buffer';
import type { BigKeyPart, DecodedValue, RdbEntry, Score, StreamId, StreamValue } from './entry';

export type JsonBytes = string | { base64: string };
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface CanonicalRecord {
  key: JsonBytes;
  type: string;
  expire_at_ms: number | null;
  value: JsonValue;
  field_expire_at_ms?: Array<[JsonBytes, number]>;
  module_type?: string;
}

export interface CanonicalFunction {
  library_name: string;
  engine: string;
  functions: Array<{ name: string; description: string | null; flags: string[] }>;
  library_code: string;
}

export interface CanonicalDataset {
  databases: Record<string, CanonicalRecord[]>;
  functions?: CanonicalFunction[];
}

export function jsonBytes(b: Buffer): JsonBytes {
  return isUtf8(b) ? b.toString('utf8') : { base64: b.toString('base64') };
}

interface Pending {
  key: Buffer;
  valueKind: string;
  expireAtMs: number | null;
  parts: BigKeyPart[];
}

/** Builds the dataset from entries fed in file order; later records of a key replace earlier ones. */
export class CanonicalBuilder {
  private readonly dbs = new Map<number, Map<string, [Buffer, CanonicalRecord]>>();
  private readonly functions: CanonicalFunction[] = [];
  private big: Pending | null = null;
  keysOnly = false;

  add(e: RdbEntry): void {
    switch (e.kind) {
      case 'key':
        this.put(e.db, e.key, e.expireAtMs, this.keysOnly ? null : e.decode(), e.valueKind);
        break;
      case 'bigkey-begin':
        this.big = { key: e.key, valueKind: e.valueKind, expireAtMs: e.expireAtMs, parts: [] };
        break;
      case 'bigkey-part':
        if (!this.keysOnly) this.big?.parts.push(e.part);
        break;
      case 'bigkey-end':
        if (this.big) {
          const b = this.big;
          this.put(e.db, b.key, b.expireAtMs, this.keysOnly ? null : joinParts(b.parts), b.valueKind);
        }
        this.big = null;
        break;
      case 'function':
        this.functions.push(parseLibrary(e.code));
        break;
      default:
        break;
    }
  }

  private put(db: number, key: Buffer, expireAtMs: number | null, value: DecodedValue | null, kind: string | null): void {
    let rec: CanonicalRecord | null;
    if (value === null) rec = { key: jsonBytes(key), type: kind ?? 'unknown', expire_at_ms: expireAtMs, value: null };
    else rec = toRecord(key, expireAtMs, value);
    if (rec === null) return; // Redis skips empty collections when loading
    let m = this.dbs.get(db);
    if (!m) this.dbs.set(db, (m = new Map()));
    m.set(key.toString('latin1'), [key, rec]);
  }

  result(): CanonicalDataset {
    const databases: Record<string, CanonicalRecord[]> = {};
    for (const db of [...this.dbs.keys()].sort((a, b) => a - b)) {
      const recs = [...(this.dbs.get(db) as Map<string, [Buffer, CanonicalRecord]>).values()];
      if (recs.length === 0) continue;
      recs.sort((a, b) => Buffer.compare(a[0], b[0]));
      databases[String(db)] = recs.map((r) => r[1]);
    }
    const out: CanonicalDataset = { databases };
    if (this.functions.length > 0) out.functions = [...this.functions].sort((a, b) => cmpStr(a.library_name, b.library_name));
    return out;
  }
}

function cmpStr(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function joinParts(parts: BigKeyPart[]): DecodedValue {
  const first = parts[0];
  if (first === undefined) return { kind: 'list', elements: [] };
  switch (first.kind) {
    case 'stream-entries':
    case 'stream': {
      const last = parts[parts.length - 1];
      if (last.kind !== 'stream') return { kind: 'list', elements: [] };
      const entries = parts.flatMap((p) => (p.kind === 'stream' ? p.stream.entries : p.kind === 'stream-entries' ? p.entries : []));
      return { kind: 'stream', stream: { ...last.stream, entries } };
    }
    case 'string': return { kind: 'string', value: Buffer.concat(parts.map((p) => (p.kind === 'string' ? p.value : Buffer.alloc(0)))) };
    case 'list': return { kind: 'list', elements: parts.flatMap((p) => (p.kind === 'list' ? p.elements : [])) };
    case 'set': return { kind: 'set', members: parts.flatMap((p) => (p.kind === 'set' ? p.members : [])) };
    case 'zset': return { kind: 'zset', members: parts.flatMap((p) => (p.kind === 'zset' ? p.members : [])) };
    case 'hash': return {
      kind: 'hash',
      fields: parts.flatMap((p) => (p.kind === 'hash' ? p.fields : [])),
      fieldExpireAtMs: parts.flatMap((p) => (p.kind === 'hash' ? p.fieldExpireAtMs : [])),
    };
    default: return first;
  }
}

function score(s: Score): number | string {
  if (s === Infinity) return 'inf';
  if (s === -Infinity) return '-inf';
  return s;
}

const byBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

function toRecord(key: Buffer, expireAtMs: number | null, v: DecodedValue): CanonicalRecord | null {
  const base = { key: jsonBytes(key), expire_at_ms: expireAtMs };
  switch (v.kind) {
    case 'string': return { ...base, type: 'string', value: jsonBytes(v.value) };
    case 'list':
      if (v.elements.length === 0) return null;
      return { ...base, type: 'list', value: v.elements.map(jsonBytes) };
    case 'set':
      if (v.members.length === 0) return null;
      return { ...base, type: 'set', value: [...v.members].sort(byBytes).map(jsonBytes) };
    case 'zset': {
      if (v.members.length === 0) return null;
      const m = [...v.members].sort((a, b) => (a[1] === b[1] ? Buffer.compare(a[0], b[0]) : a[1] < b[1] ? -1 : 1));
      return { ...base, type: 'zset', value: m.map(([name, s]) => [jsonBytes(name), score(s)]) };
    }
    case 'hash': return hashRecord(base, v);
    case 'stream': return { ...base, type: 'stream', value: streamJson(v.stream) };
    case 'module': return { ...base, type: 'module', module_type: v.moduleType, value: null };
  }
}

function hashRecord(base: { key: JsonBytes; expire_at_ms: number | null }, v: Extract<DecodedValue, { kind: 'hash' }>): CanonicalRecord | null {
  if (v.fields.length === 0) return null;
  const fields = [...v.fields].sort((a, b) => Buffer.compare(a[0], b[0]));
  const rec: CanonicalRecord = { ...base, type: 'hash', value: fields.map(([f, x]) => [jsonBytes(f), jsonBytes(x)]) };
  if (v.fieldExpireAtMs.length > 0) {
    rec.field_expire_at_ms = [...v.fieldExpireAtMs].sort((a, b) => Buffer.compare(a[0], b[0])).map(([f, t]) => [jsonBytes(f), t]);
  }
  return rec;
}

export function idText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Fields a v1 record (type 15) does not store are derived as Redis derives them on load. */
function streamJson(s: StreamValue): JsonValue {
  const firstEntry = s.entries[0];
  const firstId = s.firstId ?? (firstEntry ? firstEntry[0] : { ms: 0n, seq: 0n });
  const maxDeleted = s.maxDeletedEntryId ?? { ms: 0n, seq: 0n };
  const entriesAdded = s.entriesAdded ?? s.length;
  const derived = { length: s.length, lastId: s.lastId, firstId, maxDeleted, entriesAdded };
  const groups = [...s.groups].sort((a, b) => Buffer.compare(a.name, b.name)).map((g) => {
    const pel = new Map(g.pending.map((p) => [idText(p.id), p]));
    const consumers = [...g.consumers].sort((a, b) => Buffer.compare(a.name, b.name)).map((c) => {
      const out: { [k: string]: JsonValue } = {
        name: jsonBytes(c.name),
        seen_time_ms: c.seenTimeMs,
        pending: c.pending.map((id) => {
          const p = pel.get(idText(id));
          return [idText(id), p ? p.deliveryTimeMs : null, p ? p.deliveryCount : null];
        }),
      };
      if (c.activeTimeMs !== null) out.active_time_ms = c.activeTimeMs;
      return out;
    });
    return {
      name: jsonBytes(g.name),
      last_delivered_id: idText(g.lastDeliveredId),
      entries_read: s.firstId === null ? estimateEntriesRead(derived, g.lastDeliveredId) : g.entriesRead,
      pending: g.pending.map((p) => [idText(p.id), jsonBytes(p.consumer), p.deliveryTimeMs, p.deliveryCount]),
      consumers,
    };
  });
  return {
    entries: s.entries.map(([id, pairs]) => [idText(id), pairs.map(([f, x]) => [jsonBytes(f), jsonBytes(x)])]),
    length: s.length,
    last_id: idText(s.lastId),
    first_id: idText(firstId),
    max_deleted_entry_id: idText(maxDeleted),
    entries_added: entriesAdded,
    groups,
  };
}

function cmpId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

const isZeroId = (id: StreamId): boolean => id.ms === 0n && id.seq === 0n;

interface StreamCounters { length: number; lastId: StreamId; firstId: StreamId; maxDeleted: StreamId; entriesAdded: number }

/** What Redis computes for a group's entries-read when a v1 record does not store it
 * (t_stream.c, streamEstimateDistanceFromFirstEverEntry); null where Redis cannot tell. */
function estimateEntriesRead(s: StreamCounters, id: StreamId): number | null {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && cmpId(id, s.lastId) < 1) return s.entriesAdded;
  const cmpLast = cmpId(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return null;
  const cmpFirst = cmpId(id, s.firstId);
  if (isZeroId(s.maxDeleted) || cmpId(s.maxDeleted, s.firstId) < 0) {
    if (cmpFirst < 0) return s.entriesAdded - s.length;
    if (cmpFirst === 0) return s.entriesAdded - s.length + 1;
  }
  return null;
}

/** Library name and engine from the shebang, function names (and flags, description) from register_function calls. */
export function parseLibrary(code: Buffer): CanonicalFunction {
  const text = code.toString('utf8');
  const shebang = /^#!(\S+)([^\n]*)/.exec(text);
  const engine = shebang ? shebang[1].toUpperCase() : '';
  const nameMatch = shebang ? /(?:^|\s)name=(\S+)/.exec(shebang[2]) : null;
  const functions: CanonicalFunction['functions'] = [];
  const positional = /redis\.register_function\s*\(\s*(['"])(.*?)\1/g;
  for (let m = positional.exec(text); m !== null; m = positional.exec(text)) functions.push({ name: m[2], description: null, flags: [] });
  const table = /redis\.register_function\s*\{([^}]*(?:\{[^}]*\}[^}]*)*)\}/g;
  for (let m = table.exec(text); m !== null; m = table.exec(text)) functions.push(tableFunction(m[1]));
  functions.sort((a, b) => cmpStr(a.name, b.name));
  return { library_name: nameMatch ? nameMatch[1] : '', engine, functions, library_code: text };
}

function tableFunction(body: string): CanonicalFunction['functions'][number] {
  const name = /function_name\s*=\s*(['"])(.*?)\1/.exec(body);
  const desc = /description\s*=\s*(['"])(.*?)\1/.exec(body);
  const flagsBody = /flags\s*=\s*\{([^}]*)\}/.exec(body);
  const flags = flagsBody ? [...flagsBody[1].matchAll(/(['"])(.*?)\1/g)].map((f) => f[2]) : [];
  return { name: name ? name[2] : '', description: desc ? desc[2] : null, flags };
}

/** The text layout of the fixture datasets: sorted object keys, one key record per line. */
export function formatDataset(ds: CanonicalDataset, extra: Record<string, JsonValue> = {}): string {
  const lines = ['{', ' "databases": {'];
  const dbs = Object.keys(ds.databases);
  dbs.forEach((db, i) => {
    lines.push(`  ${JSON.stringify(db)}: [`);
    const recs = ds.databases[db];
    recs.forEach((r, j) => lines.push(`   ${stableJson(r as unknown as JsonValue)}${j < recs.length - 1 ? ',' : ''}`));
    lines.push(`  ]${i < dbs.length - 1 ? ',' : ''}`);
  });
  const tail: Array<[string, string[]]> = [];
  if (ds.functions) tail.push(['functions', ds.functions.map((f) => stableJson(f as unknown as JsonValue))]);
  lines.push(` }${tail.length > 0 || Object.keys(extra).length > 0 ? ',' : ''}`);
  for (const [name, items] of tail) {
    lines.push(` ${JSON.stringify(name)}: [`);
    items.forEach((t, j) => lines.push(`  ${t}${j < items.length - 1 ? ',' : ''}`));
    lines.push(` ]${Object.keys(extra).length > 0 ? ',' : ''}`);
  }
  const ek = Object.keys(extra).sort();
  ek.forEach((k, i) => lines.push(` ${JSON.stringify(k)}: ${stableJson(extra[k])}${i < ek.length - 1 ? ',' : ''}`));
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function stableJson(v: JsonValue | undefined): string {
  if (v === undefined || v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
}
