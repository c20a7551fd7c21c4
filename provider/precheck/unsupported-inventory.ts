// What a source holds that the destination has no equivalent for (streams before 5.0, hash field TTLs before 7.4,
// functions before 7.0), read before anything is written so the precheck can name the type and the keys.
import type Redis from 'ioredis';
import type { Dialect } from '../writer/dialect/dialect';
import { atLeast, type ServerInfo } from '../writer/dialect/server-info';

export interface UnsupportedFinding {
  node: string;
  /** "streams", "hash field TTLs", "function libraries". */
  what: string;
  /** Why the destination cannot take them. */
  why: string;
  /** How many (keys or libraries); `atLeast` when the scan stopped at its bound. */
  count: number;
  atLeast: boolean;
  /** The first few names, "db:key" for keys. */
  examples: string[];
}

const EXAMPLES = 5;
/** Keys looked at per database at most, so a precheck of a huge source stays bounded. */
const SCAN_LIMIT = 1_000_000;
/** Hashes with more fields than this are not read field by field for an example (the count comes from INFO). */
const MAX_FIELDS_READ = 1000;

function dbsWithKeys(info: string): number[] {
  return [...info.matchAll(/^db(\d+):keys=(\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => Number(m[1]));
}

/** Keys of one type in one db, by SCAN ... TYPE (6.0+) or SCAN + TYPE. */
async function keysOfType(c: Redis, db: number, type: string, withTypeOption: boolean, onKey: (key: string) => Promise<boolean>): Promise<{ seen: number; stopped: boolean }> {
  await c.select(db);
  let cursor = '0';
  let seen = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const [next, keys] = withTypeOption ? await c.scan(cursor, 'COUNT', 1000, 'TYPE', type) : await c.scan(cursor, 'COUNT', 1000);
    seen += keys.length;
    const types = withTypeOption ? keys.map(() => type) : await Promise.all(keys.map((k) => c.type(k)));
    for (const [j, k] of keys.entries()) if (types[j] === type && !(await onKey(k))) return { seen, stopped: true };
    cursor = next;
    if (cursor === '0') return { seen, stopped: false };
    if (seen >= SCAN_LIMIT) return { seen, stopped: true };
  }
  return { seen, stopped: true };
}

export async function findUnsupported(c: Redis, node: string, source: ServerInfo, destination: Dialect): Promise<UnsupportedFinding[]> {
  const out: UnsupportedFinding[] = [];
  const keyspace = await c.info('keyspace');
  const dbs = dbsWithKeys(keyspace);
  const typeOption = atLeast(source.redisVersion, '6.0.0');
  if (!destination.streams && atLeast(source.redisVersion, '5.0.0')) {
    const f: UnsupportedFinding = { node, what: 'streams', why: 'streams need Redis 5.0 or later', count: 0, atLeast: false, examples: [] };
    for (const db of dbs) {
      const r = await keysOfType(c, db, 'stream', typeOption, async (k) => {
        f.count++;
        if (f.examples.length < EXAMPLES) f.examples.push(`${db}:${k}`);
        return true;
      });
      f.atLeast ||= r.stopped;
    }
    if (f.count) out.push(f);
  }
  if (!destination.fieldTtls && atLeast(source.redisVersion, '7.4.0') && source.flavor === 'redis') {
    // INFO keyspace counts the hashes with field TTLs (subexpiry); a few are named by reading their fields' TTLs.
    const count = [...keyspace.matchAll(/subexpiry=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    if (count > 0) {
      const f: UnsupportedFinding = { node, what: 'hash field TTLs', why: 'hash field TTLs need Redis 7.4 or later', count, atLeast: false, examples: [] };
      for (const db of dbs) {
        if (f.examples.length >= EXAMPLES) break;
        await keysOfType(c, db, 'hash', true, async (k) => {
          if ((await c.hlen(k)) > MAX_FIELDS_READ) return true;
          const fields = await c.hkeys(k);
          const ttls = (await c.call('HPEXPIRETIME', k, 'FIELDS', fields.length, ...fields)) as number[];
          if (ttls.some((t) => t > 0)) f.examples.push(`${db}:${k}`);
          return f.examples.length < EXAMPLES;
        });
      }
      out.push(f);
    }
  }
  if (!destination.functions && atLeast(source.redisVersion, '7.0.0')) {
    const libs = (await c.call('FUNCTION', 'LIST')) as unknown[][];
    const names = libs.map((l) => String(l[1]));
    if (names.length) out.push({ node, what: 'function libraries', why: 'functions need Redis 7.0 or later', count: names.length, atLeast: false, examples: names.slice(0, EXAMPLES) });
  }
  return out;
}
