// Which server a node runs, read from INFO server. Valkey keeps reporting redis_version 7.2.4 (the Redis it forked
// from) for clients that gate features on it; its own release is valkey_version, and server_name says which it is.

export type ServerFlavor = 'redis' | 'valkey';

export interface ServerInfo {
  flavor: ServerFlavor;
  /** The server's own release: redis_version for Redis, valkey_version for Valkey ("8.0.1"). */
  version: string;
  /** The Redis release whose commands and RDB format it speaks: redis_version ("7.2.4" for Valkey 8). */
  redisVersion: string;
}

function infoField(info: string, name: string): string | null {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : null;
}

export function parseServerInfo(info: string): ServerInfo {
  const redisVersion = infoField(info, 'redis_version') ?? '0.0.0';
  const valkeyVersion = infoField(info, 'valkey_version');
  if (valkeyVersion !== null || infoField(info, 'server_name') === 'valkey') {
    return { flavor: 'valkey', version: valkeyVersion ?? redisVersion, redisVersion };
  }
  return { flavor: 'redis', version: redisVersion, redisVersion };
}

/** "Redis 7.0.15", "Valkey 8.0.1": for messages. */
export function serverLabel(s: ServerInfo): string {
  return `${s.flavor === 'valkey' ? 'Valkey' : 'Redis'} ${s.version}`;
}

/** Negative, zero or positive as a is older, the same as or newer than b (major.minor.patch). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export const atLeast = (version: string, min: string): boolean => compareVersions(version, min) >= 0;
