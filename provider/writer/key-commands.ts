// Full sync of one key: RESTORE of the RDB bytes when the destination loads the source's format, else the key
// rewritten as ordinary commands after a DEL (so a resync never duplicates list elements), then its expiry.
import type { KeyEntry, BigKeyEntry } from '../rdb/entry';
import { encodeRestore } from './restore-encoder';
import { encodeCommand } from '../resp/encode';
import { valueCommands, type ValueCommandOptions } from './value-commands';
import { canRestore } from './rdb-version';
import { dialectForRdbVersion, type Dialect } from './dialect/dialect';
import { streamEntryCommands } from './stream-commands';

export const DEFAULT_BIG_KEY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_REWRITE_CHUNK_ELEMENTS = 128;
export const DEFAULT_REWRITE_CHUNK_BYTES = 1024 * 1024;

export interface KeyCommandOptions {
  /** RDB version of the source's snapshot (the header's REDIS00NN). */
  sourceRdbVersion: number;
  /** Newest RDB version the destination loads (maxRdbVersionFor(its redis_version)). */
  destinationRdbVersion: number;
  /** What the destination understands; default: the oldest Redis that loads destinationRdbVersion. */
  destination?: Dialect;
  /** Values with more raw bytes than this are rewritten in chunks instead of one RESTORE. */
  bigKeyBytes?: number;
  rewriteChunkElements?: number;
  rewriteChunkBytes?: number;
  /** Clock for dropping expired keys; Date.now by default. */
  nowMs?: number;
}

const NONE: readonly Buffer[] = [];

/**
 * The commands that make the destination's key equal to the entry's; none for an already expired key. The usual
 * case, one RESTORE, comes as a one-element array: a generator per key costs the full sync about 0.1 µs per key.
 */
export function keyEntryCommands(entry: KeyEntry, opts: KeyCommandOptions): Iterable<Buffer> {
  const now = opts.nowMs ?? Date.now();
  if (entry.expireAtMs !== null && entry.expireAtMs <= now) return NONE;
  const big = entry.raw.length > (opts.bigKeyBytes ?? DEFAULT_BIG_KEY_BYTES);
  if (!big && canRestore(opts.sourceRdbVersion, opts.destinationRdbVersion)) {
    const d = dialectOf(opts);
    const restore = restoreCommand(entry, opts.sourceRdbVersion, d.restoreAbsttl ? null : now, d.restoreReplace);
    // Before 3.0 RESTORE has no REPLACE: a resync over an existing key deletes it first.
    return d.restoreReplace ? [restore] : [encodeCommand(['DEL', entry.key]), restore];
  }
  return rewriteCommands(entry, opts, now);
}

function* rewriteCommands(entry: KeyEntry, opts: KeyCommandOptions, now: number): Generator<Buffer> {
  yield encodeCommand(['DEL', entry.key]);
  yield* valueCommands(entry.key, entry.decode(), valueOptions(opts, now, false));
  if (entry.expireAtMs !== null) yield encodeCommand(['PEXPIREAT', entry.key, entry.expireAtMs]);
}

/**
 * The commands for one piece of a big key. begin deletes the key, each part adds its elements, end sets the
 * expiry, or deletes the key when it expired meanwhile (parts carry no expiry, so they are written regardless).
 * A string part APPENDs, which creates the key after begin's DEL.
 */
export function* bigKeyEntryCommands(entry: BigKeyEntry, opts: KeyCommandOptions): Generator<Buffer> {
  const now = opts.nowMs ?? Date.now();
  switch (entry.kind) {
    case 'bigkey-begin':
      yield encodeCommand(['DEL', entry.key]);
      return;
    case 'bigkey-part':
      if (entry.part.kind === 'stream-entries') yield* streamEntryCommands(entry.key, entry.part.entries);
      else yield* valueCommands(entry.key, entry.part, valueOptions(opts, now, true));
      return;
    case 'bigkey-end':
      if (entry.expireAtMs === null) return;
      yield encodeCommand(entry.expireAtMs <= now ? ['DEL', entry.key] : ['PEXPIREAT', entry.key, entry.expireAtMs]);
  }
}

/**
 * RESTORE key ttl payload REPLACE ABSTTL, with the LRU idle time or LFU counter the RDB recorded.
 * relativeToMs: for a destination older than 5.0 (no ABSTTL, IDLETIME, FREQ), the clock to make the TTL relative to.
 */
export function restoreCommand(entry: KeyEntry, rdbVersion: number, relativeToMs: number | null = null, replace = true): Buffer {
  if (relativeToMs !== null) {
    const ttl = entry.expireAtMs === null ? 0 : Math.max(1, entry.expireAtMs - relativeToMs);
    return encodeRestore(entry.key, ttl, false, entry.rdbType, entry.raw, rdbVersion, null, replace);
  }
  // RESTORE rejects IDLETIME together with FREQ; an RDB records only the one its eviction policy uses.
  const eviction = entry.idleSeconds !== null ? { idleSeconds: entry.idleSeconds } : entry.freq !== null ? { freq: entry.freq } : null;
  return encodeRestore(entry.key, entry.expireAtMs ?? 0, entry.expireAtMs !== null, entry.rdbType, entry.raw, rdbVersion, eviction);
}

function valueOptions(opts: KeyCommandOptions, nowMs: number, continuation: boolean): ValueCommandOptions {
  return {
    limits: {
      elements: opts.rewriteChunkElements ?? DEFAULT_REWRITE_CHUNK_ELEMENTS,
      bytes: opts.rewriteChunkBytes ?? DEFAULT_REWRITE_CHUNK_BYTES,
    },
    dialect: dialectOf(opts),
    nowMs,
    continuation,
  };
}

function dialectOf(opts: KeyCommandOptions): Dialect {
  return opts.destination ?? dialectForRdbVersion(opts.destinationRdbVersion);
}
