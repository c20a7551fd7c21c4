// Version compatibility through the real daemon, with real servers of each release (built from ../shared/redis-src
// once per machine by scripts/build-redis.sh). The default suite runs a short form (6 cells: the oldest and newest
// ends, the cross-flavour cells, 2.8 into itself); COMPAT_MATRIX=full (scripts/version-matrix.sh) runs all 14.
import { test } from 'node:test';
import { compatServers, DEBIAN, type ServerVersion } from './servers';
import { runCell } from './cell';

const SHORT: Array<[string, string]> = [
  ['7.4', '2.8'], ['valkey-8.0', '4.0'], ['2.8', 'valkey-8.0'], ['6.0', '7.0'], ['7.0', '6.0'], ['2.8', '2.8'],
];
/** Beside each release into 7.0 and 7.0 into each. */
const EXTRA: Array<[string, string]> = [['7.4', '2.8'], ['valkey-8.0', '4.0'], ['2.8', 'valkey-8.0'], ['2.8', '2.8']];

function cells(servers: Map<string, ServerVersion>): Array<[ServerVersion, ServerVersion]> {
  const ids = process.env.COMPAT_MATRIX === 'full'
    ? [...[...servers.keys()].filter((id) => id !== DEBIAN.id).flatMap((id): Array<[string, string]> => [[id, DEBIAN.id], [DEBIAN.id, id]]), ...EXTRA]
    : SHORT;
  return ids.map(([s, d]) => [servers.get(s)!, servers.get(d)!]);
}

test('version compatibility: full sync, incremental, kill -9 and resume, verify', { timeout: 60 * 60_000 }, async (t) => {
  const found = compatServers();
  if ('skip' in found) {
    console.log(`skipped: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  for (const [src, dst] of cells(found.servers)) {
    await t.test(`${src.label} -> ${dst.label}`, { timeout: 5 * 60_000 }, async () => {
      const r = await runCell(src, dst);
      console.log(`${src.label} -> ${dst.label}: consistent, ${r.keysCompared} keys${r.refused ? `; refused and skipped: ${r.refused}` : ''}`);
    });
  }
});
