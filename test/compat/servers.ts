// The servers of the version-compatibility tests: Debian's redis-server 7.0.15 and releases built from
// ../shared/redis-src by scripts/build-redis.sh (once per machine, cached under ~/.cache/pulumi-redis-sync).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/daemon';
import { REDIS_SERVER_BIN, startRedis, type RedisServer } from '../harness/redis';

export interface ServerVersion {
  /** "2.8", "7.0", "valkey-8.0". */
  id: string;
  /** "Redis 2.8.24", "Valkey 8.0.1". */
  label: string;
  /** The Redis release it speaks (Valkey 8: 7.2.4). */
  redisVersion: string;
  valkey: boolean;
  bin: string;
}

const BUILT: Array<Omit<ServerVersion, 'bin'> & { build: string }> = [
  { id: '2.8', label: 'Redis 2.8.24', redisVersion: '2.8.24', valkey: false, build: '2.8.24' },
  { id: '4.0', label: 'Redis 4.0.14', redisVersion: '4.0.14', valkey: false, build: '4.0.14' },
  { id: '6.0', label: 'Redis 6.0.20', redisVersion: '6.0.20', valkey: false, build: '6.0.20' },
  { id: '7.4', label: 'Redis 7.4.1', redisVersion: '7.4.1', valkey: false, build: '7.4.1' },
  { id: 'valkey-8.0', label: 'Valkey 8.0.1', redisVersion: '7.2.4', valkey: true, build: 'valkey-8.0.1' },
];

export const DEBIAN: ServerVersion = { id: '7.0', label: 'Redis 7.0.15', redisVersion: '7.0.15', valkey: false, bin: REDIS_SERVER_BIN };

/** Every version, built if needed; or why not (the sources are absent: the caller skips with that reason). */
export function compatServers(): { servers: Map<string, ServerVersion> } | { skip: string } {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'build-redis.sh'), ...BUILT.map((b) => b.build)], { encoding: 'utf8', timeout: 30 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status === 3) return { skip: `version-compatibility servers not available: ${r.stderr.trim()} (../shared/redis-src holds their sources)` };
  if (r.status !== 0) throw new Error(`scripts/build-redis.sh failed (${r.status ?? r.signal}): ${r.stderr}`);
  const paths = new Map(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  const servers = new Map<string, ServerVersion>([[DEBIAN.id, DEBIAN]]);
  for (const b of BUILT) servers.set(b.id, { id: b.id, label: b.label, redisVersion: b.redisVersion, valkey: b.valkey, bin: paths.get(b.build)! });
  return { servers };
}

export function startVersion(v: ServerVersion, config: Record<string, string> = {}): Promise<RedisServer> {
  return startRedis({ bin: v.bin, version: v.redisVersion, config });
}

export function atLeast(v: ServerVersion, min: string): boolean {
  const a = v.redisVersion.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}
