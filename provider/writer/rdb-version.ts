// The newest RDB format a Redis version loads (rdb.h RDB_VERSION): RESTORE refuses a payload from a newer format,
// so a key is restored only when the destination's version is at least the source's.

const BY_VERSION: Array<[major: number, minor: number, rdb: number]> = [
  [8, 0, 12],
  [7, 4, 12],
  [7, 2, 11],
  [7, 0, 10],
  [5, 0, 9], // 5.0, 6.0 and 6.2 all write RDB 9
  [4, 0, 8],
  [3, 2, 7],
  [2, 6, 6],
];

/** RDB version for a redis_version string such as "7.0.15"; the oldest known one for anything older. */
export function maxRdbVersionFor(redisVersion: string): number {
  const [major, minor] = redisVersion.split('.').map((p) => parseInt(p, 10));
  for (const [ma, mi, rdb] of BY_VERSION) {
    if (major > ma || (major === ma && minor >= mi)) return rdb;
  }
  return 6;
}

/** RESTORE works when the destination loads the source's RDB format. */
export function canRestore(sourceRdbVersion: number, destinationRdbVersion: number): boolean {
  return sourceRdbVersion <= destinationRdbVersion;
}
