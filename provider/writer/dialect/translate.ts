// One command of the replication stream in the form the destination accepts, with the same effect. Most commands
// pass untouched (null); the rest become one or more commands, or are reported as having no equivalent there.
// Relative expiries (what sources before 7.0 propagate) always become absolute: replayed later, after an outage or
// under lag, a relative TTL would start again from the replay and outlive the source's key.
import type { Arg } from '../../resp/encode';
import type { Dialect } from './dialect';
import { restoreRewrite } from './restore-rewrite';
import type { Rewrite } from './rewrite';
import { NameTable } from '../../resp/name-table';
import { xaddRewrite, xtrimRewrite } from './stream-trim';

const lower = (b: Buffer): string => b.toString('latin1').toLowerCase();
const commands = (...c: Arg[][]): Rewrite => ({ kind: 'commands', commands: c });

const STREAM_COMMANDS = ['xadd', 'xtrim', 'xdel', 'xgroup', 'xsetid', 'xclaim', 'xautoclaim', 'xack', 'xreadgroup'] as const;
const FIELD_TTL_COMMANDS = ['hexpire', 'hpexpire', 'hexpireat', 'hpexpireat', 'hpersist', 'hgetex', 'hsetex', 'hgetdel'] as const;
const FUNCTION_COMMANDS = ['function', 'fcall', 'fcall_ro'] as const;
const OTHER_COMMANDS = ['set', 'setex', 'psetex', 'expire', 'pexpire', 'unlink', 'hset', 'restore', 'lmove', 'swapdb'] as const;
type Name = typeof STREAM_COMMANDS[number] | typeof FIELD_TTL_COMMANDS[number] | typeof FUNCTION_COMMANDS[number] | typeof OTHER_COMMANDS[number];
const NAMES = new NameTable<Name>([...STREAM_COMMANDS, ...FIELD_TTL_COMMANDS, ...FUNCTION_COMMANDS, ...OTHER_COMMANDS]);
const STREAMS = new Set<Name>(STREAM_COMMANDS);
const FIELD_TTLS = new Set<Name>(FIELD_TTL_COMMANDS);
const FUNCTIONS = new Set<Name>(FUNCTION_COMMANDS);

type SetOption = 'nx' | 'xx' | 'get' | 'keepttl' | 'ex' | 'px' | 'exat' | 'pxat';
const SET_OPTIONS = new NameTable<SetOption>(['nx', 'xx', 'get', 'keepttl', 'ex', 'px', 'exat', 'pxat']);

/** SET's value replaced, its TTL kept, on servers without KEEPTTL (ARGV[2] "xx": only if the key exists). */
export const KEEPTTL_SCRIPT = "if ARGV[2] == 'xx' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
  + "local t = redis.call('PTTL', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1]) "
  + "if t > 0 then redis.call('PEXPIRE', KEYS[1], t) end return 1";
/** LMOVE on servers before 6.2 (ARGV: where to pop, where to push). */
export const LMOVE_SCRIPT = "local v = redis.call(ARGV[1] == 'left' and 'LPOP' or 'RPOP', KEYS[1]) "
  + "if v then redis.call(ARGV[2] == 'left' and 'LPUSH' or 'RPUSH', KEYS[2], v) end return v";

/**
 * The source's clock for a command: a time in ms, or a clock read only when a command needs it (most need none, and
 * every command of the stream is translated).
 */
export type SourceTime = number | { now(): number };

function msOf(t: SourceTime): number {
  return typeof t === 'number' ? t : t.now();
}

/**
 * argv: the command as the source propagated it. sourceNow: the source's clock when it ran the command, for
 * relative expiries. null: forward it unchanged.
 */
export function translateCommand(argv: Buffer[], d: Dialect, sourceNow: SourceTime): Rewrite | null {
  const name = NAMES.lookup(argv[0]);
  if (name === null) return null;
  if (!d.streams && STREAMS.has(name)) return { kind: 'unsupported', what: `${name.toUpperCase()}: streams need Redis 5.0 or later` };
  if (!d.fieldTtls && FIELD_TTLS.has(name)) return { kind: 'unsupported', what: `${name.toUpperCase()}: hash field TTLs need Redis 7.4 or later` };
  if (!d.functions && FUNCTIONS.has(name)) return { kind: 'unsupported', what: `${name.toUpperCase()}: functions need Redis 7.0 or later`, keyless: true };
  switch (name) {
    case 'set': return argv.length > 3 ? setRewrite(argv, d, sourceNow) : null;
    case 'setex': return expiringSet(argv[1], argv[3], msOf(sourceNow) + Number(argv[2]) * 1000, d);
    case 'psetex': return expiringSet(argv[1], argv[3], msOf(sourceNow) + Number(argv[2]), d);
    case 'expire': return commands(['PEXPIREAT', argv[1], msOf(sourceNow) + Number(argv[2]) * 1000]);
    case 'pexpire': return commands(['PEXPIREAT', argv[1], msOf(sourceNow) + Number(argv[2])]);
    case 'unlink': return d.unlink ? null : commands(['DEL', ...argv.slice(1)]);
    case 'hset': return d.variadicHset || argv.length <= 4 ? null : commands(['HMSET', ...argv.slice(1)]);
    case 'restore': return restoreRewrite(argv, d, msOf(sourceNow));
    case 'xadd': return d.redis62 ? null : xaddRewrite(argv);
    case 'xtrim': return d.redis62 ? null : xtrimRewrite(argv);
    case 'xgroup': return d.streamMetadata ? null : xgroupRewrite(argv);
    case 'xsetid': return d.streamMetadata || argv.length <= 3 ? null : commands(['XSETID', argv[1], argv[2]]);
    case 'swapdb': return d.unlink ? null : { kind: 'unsupported', what: 'SWAPDB: needs Redis 4.0 or later' };
    case 'lmove': return d.redis62 ? null : commands(['EVAL', LMOVE_SCRIPT, 2, argv[1], argv[2], lower(argv[3]), lower(argv[4])]);
    default: return null;
  }
}

/** EXPIRE, PEXPIRE, SETEX, PSETEX, SET ... EX|PX: a TTL counted from when the command runs. */
export function isRelativeExpiry(argv: Buffer[]): boolean {
  const name = NAMES.lookup(argv[0]);
  if (name === 'expire' || name === 'pexpire' || name === 'setex' || name === 'psetex') return true;
  if (name !== 'set' || argv.length < 5) return false;
  for (let i = 3; i < argv.length; i++) {
    const opt = SET_OPTIONS.lookup(argv[i]);
    if (opt === 'ex' || opt === 'px') return true;
  }
  return false;
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]. */
function setRewrite(argv: Buffer[], d: Dialect, now: SourceTime): Rewrite | null {
  let condition: 'nx' | 'xx' | null = null;
  let expiry: SetOption | null = null;
  let expiryArg = -1;
  let keepTtl = false;
  let get = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = SET_OPTIONS.lookup(argv[i]);
    if (opt === 'nx' || opt === 'xx') condition = opt;
    else if (opt === 'get') get = true;
    else if (opt === 'keepttl') keepTtl = true;
    else if (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') {
      expiry = opt;
      expiryArg = ++i;
    } else return null; // an option this code does not know: leave it to the destination
  }
  const relative = expiry === 'ex' || expiry === 'px';
  const needsRewrite = relative || (!d.redis62 && (get || expiry !== null)) || (!d.keepTtl && keepTtl);
  // The usual case, SET ... PXAT from a 7.0+ source into a 6.2+ destination, ends here without parsing a number.
  if (!needsRewrite) return null;
  let at: number | null = null;
  if (expiry !== null) {
    const n = Number(argv[expiryArg]);
    const ms = expiry === 'ex' || expiry === 'exat' ? n * 1000 : n;
    at = relative ? msOf(now) + ms : ms;
  }
  const head: Arg[] = ['SET', argv[1], argv[2], ...(condition ? [condition.toUpperCase()] : [])];
  if (keepTtl && !d.keepTtl) {
    // NX: the key did not exist, so there was no TTL to keep.
    return condition === 'nx' ? commands(head) : commands(['EVAL', KEEPTTL_SCRIPT, 1, argv[1], argv[2], condition ?? '']);
  }
  if (keepTtl) head.push('KEEPTTL');
  if (at === null) return commands(head);
  // PEXPIREAT (2.6+) after the SET: inside the batch's MULTI the pair is applied together.
  return d.redis62 ? commands([...head, 'PXAT', at]) : commands(head, ['PEXPIREAT', argv[1], at]);
}

function expiringSet(key: Buffer, value: Buffer, at: number, d: Dialect): Rewrite {
  return d.redis62 ? commands(['SET', key, value, 'PXAT', at]) : commands(['SET', key, value], ['PEXPIREAT', key, at]);
}

/** XGROUP CREATE/SETID ... ENTRIESREAD n: before 7.0 a group has no entries-read to set, so the option goes. */
function xgroupRewrite(argv: Buffer[]): Rewrite | null {
  const i = argv.findIndex((a, j) => j > 2 && lower(a) === 'entriesread');
  if (i < 0) return null;
  return commands([...argv.slice(0, i), ...argv.slice(i + 2)]);
}
