// Decides what each command of the source's replication stream becomes on the destination: forwarded as is (the
// common case, bytes untouched), rewritten (database filters and mappings), or dropped (PING, REPLCONF, the heartbeat).
import { encodeCommand } from '../resp/encode';
import { hasPrefix, isName } from '../resp/command-name';
import type { KeyFilter } from './key-filter';
import { filterCommandKeys } from './key-command-filter';

export interface StreamCommand {
  argv: Buffer[];
  raw: Buffer;
  /** Replication offset after this command. */
  offset: number;
}

export type FilterResult =
  | { action: 'skip'; reason: SkipReason }
  | { action: 'forward'; writes: DbCommand[] }
  | { action: 'heartbeat'; value: Buffer }
  | { action: 'multi' }
  | { action: 'exec' }
  | { action: 'unsupported'; message: string };

/**
 * A command for one destination database (the writer SELECTs when the database changes). argv: the command's
 * arguments when the filter rewrote a keyed command, so that a cluster destination can route it by its keys.
 */
export interface DbCommand { db: number; command: Buffer; argv?: Buffer[] }

export type SkipReason = 'ping' | 'replconf' | 'select' | 'db-filtered' | 'key-filtered' | 'publish' | 'heartbeat' | 'discard';

export interface FilterOptions {
  /** null: every database. */
  databases: number[] | null;
  mapDb(db: number): number;
  heartbeatKey: Buffer | null;
  forwardPublish: boolean;
  /** keyFilter and keyRenames; null or identity: every key, under its own name. */
  keys?: KeyFilter | null;
}

const CMD = (s: string): Buffer => Buffer.from(s);
const NAMES = {
  PING: CMD('ping'), SELECT: CMD('select'), REPLCONF: CMD('replconf'), PUBLISH: CMD('publish'), SPUBLISH: CMD('spublish'),
  MULTI: CMD('multi'), EXEC: CMD('exec'), FLUSHALL: CMD('flushall'), FLUSHDB: CMD('flushdb'), SWAPDB: CMD('swapdb'),
  MOVE: CMD('move'), SET: CMD('set'), DISCARD: CMD('discard'), COPY: CMD('copy'),
  RESTORE: CMD('restore'), RESTORE_ASKING: CMD('restore-asking'), REPLACE: CMD('replace'), DB: CMD('db'), FUNCTION: CMD('function'),
};

/** Every task's heartbeat keys start so (the default naming); a custom heartbeat key is recognized by equality. */
export const HEARTBEAT_PREFIX = Buffer.from('redis-sync:heartbeat:');

function isHeartbeatPrefixed(key: Buffer): boolean {
  return key.length > HEARTBEAT_PREFIX.length && hasPrefix(key, HEARTBEAT_PREFIX);
}

/** FLUSHALL or FLUSHDB. */
export function isFlush(name: Buffer): boolean {
  return isName(name, NAMES.FLUSHALL) || isName(name, NAMES.FLUSHDB);
}

/** Where COPY's `DB <n>` option is (after source and destination keys, so a key named "db" is not it); -1: none. */
function copyDbOption(argv: Buffer[]): number {
  return isName(argv[0], NAMES.COPY) ? argv.findIndex((a, i) => i > 2 && isName(a, NAMES.DB)) : -1;
}

export class CommandFilter {
  /** The source db the stream is in: Redis replicates a SELECT before the first command of each db switch. */
  private db = 0;
  private readonly selected: Set<number> | null;

  constructor(private readonly opts: FilterOptions) {
    this.selected = opts.databases ? new Set(opts.databases) : null;
  }

  get currentDb(): number { return this.db; }

  /** A full sync restarts the stream: Redis will SELECT again before the next command. */
  reset(): void { this.db = -1; }

  /** A partial resync continues the stream in the db it was in at the checkpoint, without a new SELECT. */
  resumeIn(db: number): void { this.db = db; }

  /** Whether the task synchronizes this source database. */
  wants(db: number): boolean {
    return this.selected === null || this.selected.has(db);
  }

  /** True when the mapping and filter are the identity, so database-wide commands can be forwarded verbatim. */
  private identityAllDbs(): boolean {
    return this.selected === null && this.opts.mapDb(0) === 0 && this.opts.mapDb(1) === 1;
  }

  apply(cmd: StreamCommand): FilterResult {
    const argv = cmd.argv;
    const name = argv[0];
    if (isName(name, NAMES.PING)) return { action: 'skip', reason: 'ping' };
    if (isName(name, NAMES.REPLCONF)) return { action: 'skip', reason: 'replconf' };
    if (isName(name, NAMES.SELECT)) {
      this.db = Number(argv[1]?.toString() ?? '0');
      return { action: 'skip', reason: 'select' };
    }
    if (isName(name, NAMES.MULTI)) return { action: 'multi' };
    if (isName(name, NAMES.EXEC)) return { action: 'exec' };
    if (isName(name, NAMES.DISCARD)) return { action: 'skip', reason: 'discard' };
    if (isName(name, NAMES.PUBLISH) || isName(name, NAMES.SPUBLISH)) {
      return this.opts.forwardPublish ? this.one(this.db, cmd.raw) : { action: 'skip', reason: 'publish' };
    }
    if (isName(name, NAMES.FLUSHALL)) return this.flushAll(cmd);
    if (isName(name, NAMES.SWAPDB)) return this.swapDb(cmd);
    // Function libraries are server-wide: the db the client was in does not filter them out.
    if (isName(name, NAMES.FUNCTION)) return this.one(this.wants(this.db) ? this.db : (this.opts.databases?.[0] ?? 0), cmd.raw);
    if (!this.wants(this.db)) return this.fromUnselectedDb(cmd);
    const own = this.opts.heartbeatKey;
    if (argv.length >= 2 && (isHeartbeatPrefixed(argv[1]) || (own !== null && argv[1].equals(own)))) {
      // Ours gives the lag; another task's (one-to-many, cascading) is never copied either, nor its expiry.
      if (own && argv.length >= 3 && isName(name, NAMES.SET) && argv[1].equals(own)) {
        return { action: 'heartbeat', value: argv[2] };
      }
      return { action: 'skip', reason: 'heartbeat' };
    }
    const keys = this.opts.keys;
    if (keys && !keys.identity) {
      const other = isName(name, NAMES.MOVE) ? Number(argv[2]?.toString()) : copyDbOption(argv) > 0 ? Number(argv[copyDbOption(argv) + 1]?.toString()) : null;
      const k = filterCommandKeys(keys, this.db, argv, other);
      if (k.kind === 'skip') return { action: 'skip', reason: 'key-filtered' };
      if (k.kind === 'refuse') return { action: 'unsupported', message: k.message };
      if (k.kind === 'rewrite') return this.keyed({ argv: k.argv, raw: encodeCommand(k.argv), offset: cmd.offset });
    }
    return this.keyed(cmd);
  }

  /** A command with keys, in a synchronized database. */
  private keyed(cmd: StreamCommand): FilterResult {
    const argv = cmd.argv;
    const name = argv[0];
    if (isName(name, NAMES.MOVE)) return this.move(cmd);
    if (isName(name, NAMES.RESTORE) || isName(name, NAMES.RESTORE_ASKING)) return this.restore(cmd);
    const dbOption = copyDbOption(argv);
    if (dbOption > 0) return this.copyDb(cmd, dbOption);
    return this.one(this.db, cmd.raw, cmd.argv);
  }

  private one(sourceDb: number, command: Buffer, argv?: Buffer[]): FilterResult {
    return { action: 'forward', writes: [{ db: this.opts.mapDb(Math.max(sourceDb, 0)), command, argv }] };
  }

  private flushAll(cmd: StreamCommand): FilterResult {
    if (this.identityAllDbs()) return this.one(this.db, cmd.raw);
    // Only the synchronized databases are ours to clear on the destination.
    const flush = encodeCommand(['FLUSHDB', ...cmd.argv.slice(1)]);
    return { action: 'forward', writes: (this.opts.databases ?? []).map((db) => ({ db: this.opts.mapDb(db), command: flush })) };
  }

  private swapDb(cmd: StreamCommand): FilterResult {
    const a = Number(cmd.argv[1]?.toString());
    const b = Number(cmd.argv[2]?.toString());
    if (!this.wants(a) && !this.wants(b)) return { action: 'skip', reason: 'db-filtered' };
    if (this.wants(a) && this.wants(b)) {
      return this.one(this.db, encodeCommand(['SWAPDB', this.opts.mapDb(a), this.opts.mapDb(b)]));
    }
    return { action: 'unsupported', message: `SWAPDB ${a} ${b} swaps a synchronized database with one that is not; add both to "databases" or neither` };
  }

  /** Commands in an unselected db are dropped, unless they carry a key into a synchronized one: we lack its value. */
  private fromUnselectedDb(cmd: StreamCommand): FilterResult {
    const name = cmd.argv[0];
    const dbOption = copyDbOption(cmd.argv);
    const intoDb = isName(name, NAMES.MOVE) ? Number(cmd.argv[2]?.toString())
      : dbOption > 0 ? Number(cmd.argv[dbOption + 1]?.toString())
        : NaN;
    if (Number.isInteger(intoDb) && this.wants(intoDb)) {
      return { action: 'unsupported', message: `${name.toString().toUpperCase()} of key "${cmd.argv[1].toString()}" from unsynchronized db ${this.db} into synchronized db ${intoDb}: add db ${this.db} to "databases"` };
    }
    return { action: 'skip', reason: 'db-filtered' };
  }

  /**
   * A RESTORE the source ran found no key there, but the destination may still hold it: during a reshard the key
   * arrives through the new owner's stream while the old owner's DEL (MIGRATE's) may lag behind. REPLACE makes it
   * land either way (RESTORE-ASKING, what MIGRATE sends the target, is replayed as a plain RESTORE).
   */
  private restore(cmd: StreamCommand): FilterResult {
    const hasReplace = cmd.argv.slice(4).some((a) => isName(a, NAMES.REPLACE));
    if (hasReplace && isName(cmd.argv[0], NAMES.RESTORE)) return this.one(this.db, cmd.raw, cmd.argv);
    const argv = [Buffer.from('RESTORE'), ...cmd.argv.slice(1), ...(hasReplace ? [] : [Buffer.from('REPLACE')])];
    return this.one(this.db, encodeCommand(argv), argv);
  }

  private move(cmd: StreamCommand): FilterResult {
    const target = Number(cmd.argv[2]?.toString());
    // Both databases map onto one destination database (e.g. into a cluster's db 0): the key stays where it is.
    if (this.wants(target) && this.opts.mapDb(target) === this.opts.mapDb(this.db)) return { action: 'skip', reason: 'db-filtered' };
    if (this.wants(target)) return this.one(this.db, encodeCommand(['MOVE', cmd.argv[1], this.opts.mapDb(target)]));
    // The key leaves the synchronized set: on the destination it simply disappears.
    const del = [Buffer.from('DEL'), cmd.argv[1]];
    return this.one(this.db, encodeCommand(del), del);
  }

  private copyDb(cmd: StreamCommand, i: number): FilterResult {
    const args = cmd.argv.slice();
    const target = Number(args[i + 1]?.toString());
    if (!this.wants(target)) return { action: 'skip', reason: 'db-filtered' };
    args[i + 1] = Buffer.from(String(this.opts.mapDb(target)));
    return this.one(this.db, encodeCommand(args), args);
  }
}
