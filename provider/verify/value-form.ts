// How values are read so that both sides give comparable answers across releases: the richest form both servers
// have, and only the stream metadata both derive the same way.
import { compareVersions, type ServerInfo } from '../writer/dialect/server-info';

export interface ValueForm {
  /** Both servers have HPEXPIRETIME (Redis 7.4): hash field TTLs are compared. */
  fieldTtls: boolean;
  /** Both have XINFO STREAM ... FULL (6.0); else streams are read with XRANGE, XINFO GROUPS/CONSUMERS and XPENDING. */
  streamFull: boolean;
  /**
   * max-deleted-entry-id, entries-added, recorded-first-entry-id are compared only between the same release line:
   * before 7.0 they do not exist, and a copy into another line starts them from what its RESTORE or XSETID can set
   * (6.x and 7.2 differ from 7.0 on streams that are the same).
   */
  streamMetadata: boolean;
}

const line = (s: ServerInfo): string => `${s.flavor} ${s.redisVersion.split('.').slice(0, 2).join('.')}`;

export function valueForm(source: ServerInfo, destination: ServerInfo, fieldTtls: boolean): ValueForm {
  return {
    fieldTtls,
    streamFull: compareVersions(source.redisVersion, '6.0.0') >= 0 && compareVersions(destination.redisVersion, '6.0.0') >= 0,
    streamMetadata: line(source) === line(destination) && compareVersions(source.redisVersion, '7.0.0') >= 0,
  };
}
