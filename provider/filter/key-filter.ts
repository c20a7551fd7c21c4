// keyFilter and keyRenames compiled once: which keys of a source database are synchronized, and under which name
// they are written. The full sync, the stream (command-filter.ts) and verify all ask this one object.
import type { KeyFilterSpec, KeyPatternSpec, KeyRenameSpec } from '../spec/types';
import { globMatch } from './glob';

interface Rule { dbs: Set<number> | null; test(key: Buffer): boolean }
interface Rename { dbs: Set<number> | null; from: Buffer; to: Buffer }

const appliesTo = (dbs: Set<number> | null, db: number): boolean => dbs === null || dbs.has(db);
const dbSet = (dbs: number[] | undefined): Set<number> | null => (dbs ? new Set(dbs) : null);
const startsWith = (key: Buffer, prefix: Buffer): boolean => key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);

function compileRule(p: KeyPatternSpec): Rule {
  const dbs = dbSet(p.databases);
  if (p.prefix !== undefined) {
    const prefix = Buffer.from(p.prefix);
    return { dbs, test: (key) => startsWith(key, prefix) };
  }
  if (p.glob !== undefined) {
    const glob = Buffer.from(p.glob);
    return { dbs, test: (key) => globMatch(glob, key) };
  }
  const re = new RegExp(p.regex ?? '');
  return { dbs, test: (key) => re.test(key.toString('utf8')) };
}

export class KeyFilter {
  private readonly include: Rule[];
  private readonly exclude: Rule[];
  private readonly renameRules: Rename[];

  constructor(filter: KeyFilterSpec | undefined, renames: KeyRenameSpec[] | undefined) {
    this.include = (filter?.include ?? []).map(compileRule);
    this.exclude = (filter?.exclude ?? []).map(compileRule);
    this.renameRules = (renames ?? []).map((r) => ({ dbs: dbSet(r.databases), from: Buffer.from(r.from), to: Buffer.from(r.to) }));
  }

  /** True when every key is synchronized under its own name: the stream's bytes can be forwarded untouched. */
  get identity(): boolean {
    return this.include.length === 0 && this.exclude.length === 0 && this.renameRules.length === 0;
  }

  get renames(): boolean {
    return this.renameRules.length > 0;
  }

  /** Whether the key of source db `db` is synchronized. */
  wants(db: number, key: Buffer): boolean {
    let applies = false;
    let included = false;
    for (const r of this.include) {
      if (!appliesTo(r.dbs, db)) continue;
      applies = true;
      if (r.test(key)) {
        included = true;
        break;
      }
    }
    if (applies && !included) return false;
    for (const r of this.exclude) if (appliesTo(r.dbs, db) && r.test(key)) return false;
    return true;
  }

  /** The key's name on the destination (the same Buffer when no rule renames it). */
  rename(db: number, key: Buffer): Buffer {
    for (const r of this.renameRules) {
      if (appliesTo(r.dbs, db) && startsWith(key, r.from)) return Buffer.concat([r.to, key.subarray(r.from.length)]);
    }
    return key;
  }

  /** The source keys of db `db` that would be written as `destKey` (verify's search for keys the source lacks). */
  sourcesOf(db: number, destKey: Buffer): Buffer[] {
    const candidates = [destKey];
    for (const r of this.renameRules) {
      if (appliesTo(r.dbs, db) && startsWith(destKey, r.to)) candidates.push(Buffer.concat([r.from, destKey.subarray(r.to.length)]));
    }
    return candidates.filter((c, i) => candidates.findIndex((o) => o.equals(c)) === i && this.wants(db, c) && this.rename(db, c).equals(destKey));
  }
}
