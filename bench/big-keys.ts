// bench/big-keys: full sync of big keys (a string of random bytes; a list, set, zset, hash, stream of many small
// elements), our daemon next to a native replica of the same source in the same run: seconds of each, their ratio, and
// the daemon's peak RSS (VmHWM), with every value checked by DEBUG DIGEST-VALUE on both sides.
// Sizes (each past the default bigKeyBytes, so every case takes the rewrite-in-parts path): a 300 MB string, 5M list
// elements, 3M stream entries, 2M set members, zset members and hash fields; BENCH_BIG_SCALE multiplies them.
// BENCH_BIG_CASES picks cases (comma-separated; default `three`, issue 14's dataset of the string, the list and the hash
// in one source, then each of them alone). Each case's source is filled once, then BENCH_ROUNDS (3) interleaved rounds
// run the native replica and ours in turn (the order alternating), with medians. Prints the figures, writes
// bench/results/big-keys.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startRedis, type RedisServer } from '../test/harness/redis';
import { replicateFrom } from './native-replica';
import { startDaemon, removeDir, REPO_ROOT } from '../test/harness/daemon';
import { taskSpec } from '../test/harness/sync';
import { fillBigKey, digestValue, watchPeakRss, type BigKind } from '../test/harness/big-keys';

const SCALE = Number(process.env.BENCH_BIG_SCALE ?? 1);
const CASES = (process.env.BENCH_BIG_CASES ?? 'three,string,list,hash').split(',') as Array<BigKind | 'three'>;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES: Record<BigKind, number> = { string: 300 * 1024 * 1024, list: 5_000_000, stream: 3_000_000, set: 2_000_000, zset: 2_000_000, hash: 2_000_000 };

function sizeOf(kind: BigKind): number {
  return Math.round(SIZES[kind] * SCALE);
}

async function nativeSeconds(src: RedisServer): Promise<number> {
  const replica = await startRedis({ config: { 'repl-diskless-load': 'disabled' } });
  try {
    return await replicateFrom(replica, src);
  } finally {
    await replica.stop();
  }
}

/** Our daemon's full sync of the source into an empty destination: seconds, peak RSS, whether the values match. */
async function oursSeconds(src: RedisServer, label: string, keys: string[]): Promise<{ seconds: number; peakRssMb: number; sameValue: boolean }> {
  const dst = await startRedis();
  const spec = taskSpec(`bench-big-${label}`, src, dst);
  const t0 = Date.now();
  const d = startDaemon(spec, { args: ['--skip-prechecks'] });
  const peak = watchPeakRss(d.child.pid!);
  try {
    const st = await d.waitForState('Synchronizing', 1_800_000);
    const seconds = (Date.parse(st.nodes[0].fullSync.finishedAt!) - t0) / 1000;
    const peakRssMb = Math.round(peak.stop());
    let sameValue = true;
    for (const key of keys) if ((await digestValue(dst.client(), key)) !== (await digestValue(src.client(), key))) sameValue = false;
    return { seconds, peakRssMb, sameValue };
  } finally {
    peak.stop();
    await d.kill('SIGTERM');
    removeDir(dirname(d.specPath));
    await dst.stop();
  }
}

/**
 * One case: a big key of one kind, or `three` (issue 14's dataset: the 300 MB string, the 5M-element list and the 2M-field
 * hash in one source). The source is filled once, then ROUNDS rounds of native and ours (the order alternating).
 */
async function bigKeyCase(label: BigKind | 'three'): Promise<Record<string, unknown>> {
  const kinds: BigKind[] = label === 'three' ? ['string', 'list', 'hash'] : [label];
  const keys = kinds.map((k) => `big:${k}`);
  const size = label === 'three' ? kinds.map((k) => `${k} ${sizeOf(k)}`).join(', ') : String(sizeOf(label));
  const unit = label === 'three' ? '' : label === 'string' ? 'bytes' : 'elements';
  const src = await startRedis({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } });
  try {
    for (const k of kinds) await fillBigKey(src.client(), k, `big:${k}`, sizeOf(k));
    const rounds: Array<Record<string, number | boolean>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      let native = NaN;
      let ours = { seconds: NaN, peakRssMb: NaN, sameValue: false };
      for (const side of r % 2 === 0 ? ['native', 'ours'] : ['ours', 'native']) {
        if (side === 'native') native = await nativeSeconds(src);
        else ours = await oursSeconds(src, label, keys);
      }
      const round = { round: r + 1, nativeSeconds: native, oursSeconds: ours.seconds, ratio: ours.seconds / native, peakRssMb: ours.peakRssMb, sameValue: ours.sameValue };
      console.log(`${label} (${size} ${unit}), round ${r + 1}: native ${native.toFixed(1)} s, ours ${ours.seconds.toFixed(1)} s, ratio ${round.ratio.toFixed(2)}, peak RSS ${ours.peakRssMb} MB, same value: ${ours.sameValue}`);
      rounds.push(round);
    }
    const med = (f: string): number => median(rounds.map((x) => x[f] as number));
    return {
      kind: label, size, unit, rounds,
      median: { nativeSeconds: med('nativeSeconds'), oursSeconds: med('oursSeconds'), ratio: med('ratio') },
      maxPeakRssMb: Math.max(...rounds.map((x) => x.peakRssMb as number)), allSameValue: rounds.every((x) => x.sameValue),
    };
  } finally {
    await src.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const results: Array<Record<string, unknown>> = [];
  for (const kind of CASES) {
    const r = await bigKeyCase(kind);
    const m = r.median as Record<string, number>;
    console.log(`${kind} (median of ${ROUNDS} rounds): native ${m.nativeSeconds.toFixed(1)} s, ours ${m.oursSeconds.toFixed(1)} s, ratio ${m.ratio.toFixed(2)}, peak RSS at most ${r.maxPeakRssMb} MB, same value every round: ${r.allSameValue}`);
    results.push(r);
  }
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'big-keys.json'), JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, cases: results }, null, 2));
  console.log(`wrote ${join(dir, 'big-keys.json')}`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
