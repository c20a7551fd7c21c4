// bench/big-keys: full sync of one big key per case (a string of random bytes; a list, set, zset, hash, stream of
// many small elements), our daemon next to a native replica of the same source in the same run: seconds of each,
// their ratio, and the daemon's peak RSS (VmHWM), with the value checked by DEBUG DIGEST-VALUE on both sides.
// Sizes (each past the default bigKeyBytes, so every case takes the rewrite-in-parts path): a 300 MB string, 5M list
// elements, 3M stream entries, 2M set members, zset members and hash fields; BENCH_BIG_SCALE multiplies them,
// BENCH_BIG_CASES picks kinds (comma-separated). Prints the figures, writes bench/results/big-keys.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startRedis, sleep, type RedisServer } from '../test/harness/redis';
import { startDaemon, removeDir, REPO_ROOT } from '../test/harness/daemon';
import { taskSpec } from '../test/harness/sync';
import { fillBigKey, digestValue, watchPeakRss, type BigKind } from '../test/harness/big-keys';

const SCALE = Number(process.env.BENCH_BIG_SCALE ?? 1);
const CASES = (process.env.BENCH_BIG_CASES ?? 'string,list,set,zset,hash,stream').split(',') as BigKind[];
const SIZES: Record<BigKind, number> = { string: 300 * 1024 * 1024, list: 5_000_000, stream: 3_000_000, set: 2_000_000, zset: 2_000_000, hash: 2_000_000 };

function sizeOf(kind: BigKind): number {
  return Math.round(SIZES[kind] * SCALE);
}

async function nativeSeconds(src: RedisServer): Promise<number> {
  const replica = await startRedis({ config: { 'repl-diskless-load': 'disabled' } });
  try {
    const t0 = Date.now();
    await replica.client().call('REPLICAOF', src.host, String(src.port));
    for (let i = 0; i < 1_000_000; i++) {
      const info = await replica.client().info('replication');
      if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)) break;
      await sleep(5);
    }
    return (Date.now() - t0) / 1000;
  } finally {
    await replica.stop();
  }
}

async function bigKeyCase(kind: BigKind): Promise<Record<string, number | string | boolean>> {
  const size = sizeOf(kind);
  const key = `big:${kind}`;
  const src = await startRedis({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } });
  const dst = await startRedis();
  try {
    await fillBigKey(src.client(), kind, key, size);
    const native = await nativeSeconds(src);
    const spec = taskSpec(`bench-big-${kind}`, src, dst);
    const t0 = Date.now();
    const d = startDaemon(spec, { args: ['--skip-prechecks'] });
    const peak = watchPeakRss(d.child.pid!);
    try {
      const st = await d.waitForState('Synchronizing', 1_800_000);
      const ours = (Date.parse(st.nodes[0].fullSync.finishedAt!) - t0) / 1000;
      const rss = peak.stop();
      const same = (await digestValue(dst.client(), key)) === (await digestValue(src.client(), key));
      return { kind, size, unit: kind === 'string' ? 'bytes' : 'elements', nativeSeconds: native, oursSeconds: ours, ratio: ours / native, peakRssMb: Math.round(rss), sameValue: same };
    } finally {
      peak.stop();
      await d.kill('SIGTERM');
      removeDir(dirname(d.specPath));
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

async function main(): Promise<void> {
  const results: Array<Record<string, unknown>> = [];
  for (const kind of CASES) {
    const r = await bigKeyCase(kind);
    console.log(`${kind} (${r.size} ${r.unit}): native ${Number(r.nativeSeconds).toFixed(1)} s, ours ${Number(r.oursSeconds).toFixed(1)} s, ratio ${Number(r.ratio).toFixed(2)}, peak RSS ${r.peakRssMb} MB, same value: ${r.sameValue}`);
    results.push(r);
  }
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'big-keys.json'), JSON.stringify({ date: new Date().toISOString(), cases: results }, null, 2));
  console.log(`wrote ${join(dir, 'big-keys.json')}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
