// RESTORE from the stream (MIGRATE's target, a user's RESTORE) for a destination that lacks some of its form:
// REPLACE (3.0) becomes DEL first, ABSTTL/IDLETIME/FREQ (5.0) a relative TTL, and a payload of a newer RDB format
// than the destination loads is decoded and written as ordinary commands.
import type { Arg } from '../../resp/encode';
import { parseDumpPayload } from '../../rdb/dump-payload';
import { decodeRaw } from '../../rdb/value';
import { decodeCommand } from '../command-text';
import { valueCommands } from '../value-commands';
import { DEFAULT_REWRITE_CHUNK_BYTES, DEFAULT_REWRITE_CHUNK_ELEMENTS } from '../key-commands';
import type { Dialect } from './dialect';
import type { Rewrite } from './rewrite';

const lower = (b: Buffer): string => b.toString('latin1').toLowerCase();

/** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]; null: the destination takes it as it is. */
export function restoreRewrite(argv: Buffer[], d: Dialect, sourceNowMs: number): Rewrite | null {
  const [, key, ttlArg, payload] = argv;
  const opts = argv.slice(4).map(lower);
  const absttl = opts.includes('absttl');
  const ttl = Number(ttlArg);
  const expireAt = ttl <= 0 ? null : absttl ? ttl : sourceNowMs + ttl;
  let parts: ReturnType<typeof parseDumpPayload>;
  try {
    parts = parseDumpPayload(payload);
  } catch {
    return null; // not ours to judge: the destination answers with its own error
  }
  const newerFormat = parts.rdbVersion > d.rdbVersion;
  const fits = !newerFormat && d.restoreReplace && d.restoreAbsttl && (expireAt === null || absttl);
  if (fits) return null;
  // Now, not the source's time: a relative TTL counts from when the destination applies it.
  const now = Date.now();
  if (expireAt !== null && expireAt <= now) return { kind: 'commands', commands: [['DEL', key]] };
  const commands: Arg[][] = [['DEL', key]];
  if (newerFormat) {
    const value = decodeRaw(parts.rdbType, parts.raw);
    const limits = { elements: DEFAULT_REWRITE_CHUNK_ELEMENTS, bytes: DEFAULT_REWRITE_CHUNK_BYTES };
    for (const c of valueCommands(key, value, { limits, dialect: d, nowMs: now, continuation: false })) commands.push(decodeCommand(c));
    if (expireAt !== null) commands.push(['PEXPIREAT', key, expireAt]);
    return { kind: 'commands', commands };
  }
  const restore: Arg[] = ['RESTORE', key, expireAt === null ? 0 : d.restoreAbsttl ? expireAt : expireAt - now, payload];
  if (d.restoreAbsttl && expireAt !== null) restore.push('ABSTTL');
  if (d.restoreAbsttl) {
    // IDLETIME and FREQ as the source gave them.
    for (let i = 4; i < argv.length; i++) if (opts[i - 4] === 'idletime' || opts[i - 4] === 'freq') restore.push(argv[i], argv[++i]);
  }
  // DEL came first: REPLACE is not needed (and 2.8 has none).
  commands.push(restore);
  return { kind: 'commands', commands };
}
