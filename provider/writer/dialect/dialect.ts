// What a destination server understands, from its release: the writer turns every command of the stream and every
// rewritten value into a form it accepts (see translate.ts), and the prechecks name what has no equivalent there.
import { maxRdbVersionFor } from '../rdb-version';
import { atLeast, type ServerInfo } from './server-info';

export interface Dialect {
  server: ServerInfo;
  /** Newest RDB format its RESTORE and replica loading accept (rdb.h RDB_VERSION). */
  rdbVersion: number;
  /** RESTORE ... REPLACE (3.0). */
  restoreReplace: boolean;
  /** RESTORE ... ABSTTL, IDLETIME, FREQ (5.0). */
  restoreAbsttl: boolean;
  /** UNLINK and SWAPDB (4.0). */
  unlink: boolean;
  /** HSET with several field/value pairs (4.0); HMSET before. */
  variadicHset: boolean;
  /** SET ... KEEPTTL (6.0). */
  keepTtl: boolean;
  /** SET ... PXAT/EXAT/GET, GETEX, XGROUP CREATECONSUMER (6.2). */
  redis62: boolean;
  /** Streams: XADD, XGROUP... (5.0). */
  streams: boolean;
  /** XSETID ENTRIESADDED/MAXDELETEDID, XGROUP CREATE/SETID ENTRIESREAD (7.0). */
  streamMetadata: boolean;
  /** FUNCTION LOAD and FCALL (7.0). */
  functions: boolean;
  /** Hash field TTLs: HPEXPIREAT and friends (Redis 7.4; Valkey 8 has none). */
  fieldTtls: boolean;
}

export function dialectFor(server: ServerInfo): Dialect {
  const v = server.redisVersion;
  return {
    server,
    rdbVersion: server.flavor === 'valkey' ? Math.min(maxRdbVersionFor(v), 11) : maxRdbVersionFor(v),
    restoreReplace: atLeast(v, '3.0.0'),
    restoreAbsttl: atLeast(v, '5.0.0'),
    unlink: atLeast(v, '4.0.0'),
    variadicHset: atLeast(v, '4.0.0'),
    keepTtl: atLeast(v, '6.0.0'),
    redis62: atLeast(v, '6.2.0'),
    streams: atLeast(v, '5.0.0'),
    streamMetadata: atLeast(v, '7.0.0'),
    functions: atLeast(v, '7.0.0'),
    fieldTtls: server.flavor === 'redis' && atLeast(v, '7.4.0'),
  };
}

const OLDEST_BY_RDB: Array<[rdb: number, redis: string]> = [[12, '7.4.0'], [11, '7.2.0'], [10, '7.0.0'], [9, '5.0.0'], [8, '4.0.0'], [7, '3.2.0']];

/** The oldest Redis that loads this RDB version: what a caller that knows only the RDB version may assume. */
export function dialectForRdbVersion(rdbVersion: number): Dialect {
  const v = OLDEST_BY_RDB.find(([rdb]) => rdbVersion >= rdb)?.[1] ?? '2.8.0';
  return dialectFor({ flavor: 'redis', version: v, redisVersion: v });
}

/**
 * The precheck that names data the destination has no equivalent for (streams before 5.0, hash field TTLs before
 * 7.4, functions before 7.0). Listing it in ignorePrechecks is the user's choice to skip such keys, each named in a
 * warning, instead of stopping.
 */
export const UNSUPPORTED_DATA_CHECK = 'destination-unsupported-data';
