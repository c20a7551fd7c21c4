// bench/profile: where the daemon's CPU goes. BENCH_PROFILE_CASE=incremental (default): redis-benchmark SETs (-P16 -c50,
// BENCH_PROFILE_COMMANDS, default 2M) into a source with our daemon and a native replica attached at once, the
// `sustained` case of bench/sync. full-strings | full-mixed: a full sync of BENCH_KEYS keys (default 1M) by the daemon,
// then by a native replica of the same source; full-cluster: the same between two clusters of BENCH_MASTERS masters
// (native: one replica per source master, all at once); incremental-cluster: redis-benchmark --cluster SETs into the
// source cluster once the daemon follows it (the daemon's and destinations' CPU only). The daemon runs with node's --cpu-prof. Prints the functions with the
// most self time (share of the samples) and the CPU seconds per million commands or keys of the daemon, of its
// destination server and of the native replica (the cost to beat); writes bench/results/profile-<case>.json and the raw
// daemon-<case>.cpuprofile (open it in Chrome DevTools for the call tree). BENCH_PROFILE_TOP: functions printed.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, startCluster, sleep, type RedisServer, type RedisCluster } from '../test/harness/redis';
import { fillStrings, fillMixed, fillCluster } from './datasets';
import { replicateFrom } from './native-replica';
import { REPO_ROOT, CLI, writeSpec } from '../test/harness/daemon';
import type { TaskStatus } from '../provider/state/status';
import type { TaskSpec } from '../provider/spec/types';
import { spawn } from 'node:child_process';

const run = promisify(execFile);
const N = Number(process.env.BENCH_PROFILE_COMMANDS ?? 2_000_000);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 30);
const CASE = process.env.BENCH_PROFILE_CASE ?? 'incremental';
const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] }

/** Self samples per function (name, file, line), highest first. */
function selfTimes(p: CpuProfile): Array<{ fn: string; share: number; ms: number }> {
  const total = p.samples.length;
  const perSample = (p.endTime - p.startTime) / 1000 / Math.max(1, total);
  const by = new Map<string, number>();
  for (const n of p.nodes) {
    const f = n.callFrame;
    const file = f.url.replace(/^file:\/\//, '').replace(REPO_ROOT + '/', '');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  return [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([fn, hits]) => ({ fn, share: hits / total, ms: hits * perSample }));
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Measured { what: string; units: number; oursSeconds: number; nativeSeconds: number | null; cpu: { daemon: number; destination: number; nativeReplica: number } }

type Status = () => TaskStatus | null;

interface Profiled { pid: number; status: Status; started: number; stop(): Promise<void> }

/** `redis-sync run` of spec under --cpu-prof (the profile is written into profDir when it stops) and its status. */
function startProfiled(spec: TaskSpec, profDir: string): Profiled {
  const { specPath, dir } = writeSpec(spec);
  const started = Date.now();
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, CLI, 'run', '--config', specPath, '--state-dir', join(dir, 'state'), '--skip-prechecks'], { stdio: 'ignore' });
  const statusPath = join(dir, 'state', spec.name, 'status.json');
  return {
    pid: child.pid!,
    started,
    status: () => { try { return JSON.parse(readFileSync(statusPath, 'utf8')) as TaskStatus; } catch { return null; } },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
    },
  };
}

/** redis-benchmark SETs into the source with both replicas attached; CPU of each while they apply them. */
async function incremental(src: RedisServer, dst: RedisServer, native: RedisServer, daemonPid: number, status: Status): Promise<Measured> {
  await replicateFrom(native, src);
  const cpu0 = [cpuSeconds(daemonPid), cpuSeconds(dst.pid), cpuSeconds(native.pid)];
  const t0 = Date.now();
  await run('redis-benchmark', ['-h', src.host, '-p', String(src.port), '-t', 'set', '-n', String(N), '-P', '16', '-c', '50', '-r', '1000000', '-d', '100', '-q']);
  const target = Number(/master_repl_offset:(\d+)/.exec(await src.client().info('replication'))![1]);
  for (let i = 0; i < 6000 && (status()?.nodes[0].appliedOffset ?? 0) < target; i++) await sleep(20);
  const oursSeconds = (Date.now() - t0) / 1000;
  return { what: 'SETs (redis-benchmark -P16 -c50)', units: N, oursSeconds, nativeSeconds: null, cpu: { daemon: cpuSeconds(daemonPid) - cpu0[0], destination: cpuSeconds(dst.pid) - cpu0[1], nativeReplica: cpuSeconds(native.pid) - cpu0[2] } };
}

/** The daemon's full sync of the filled source (from its start), then a native replica's of the same source. */
async function fullSync(src: RedisServer, dst: RedisServer, native: RedisServer, daemonPid: number, status: Status, started: number): Promise<Measured> {
  for (let i = 0; i < 12_000 && status()?.state !== 'Synchronizing'; i++) await sleep(50);
  const oursSeconds = (Date.now() - started) / 1000;
  const cpu = { daemon: cpuSeconds(daemonPid), destination: cpuSeconds(dst.pid), nativeReplica: 0 };
  const nativeSeconds = await replicateFrom(native, src);
  cpu.nativeReplica = cpuSeconds(native.pid);
  return { what: `keys of the ${CASE.slice(5)} dataset, full sync`, units: await src.client().dbsize(), oursSeconds, nativeSeconds, cpu };
}

/**
 * Two clusters of BENCH_MASTERS masters (default 3), the source filled with KEYS strings: the daemon's full sync, then
 * (full-cluster) one native replica per source master, or (incremental-cluster) a write load.
 */
async function clusterCase(profDir: string): Promise<{ m: Measured; stop: () => Promise<void> }> {
  const masters = Number(process.env.BENCH_MASTERS ?? 3);
  const src = await startCluster({ masters, config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } });
  const dst = await startCluster({ masters });
  await fillCluster(src.client(), KEYS);
  const spec = { name: 'bench-profile', source: { mode: 'cluster' as const, nodes: [src.nodes[0]] }, destination: { mode: 'cluster' as const, nodes: [dst.nodes[0]] }, heartbeat: { intervalMs: 100 } };
  const daemon = startProfiled(spec, profDir);
  const { status } = daemon;
  for (let i = 0; i < 12_000 && !(status()?.state === 'Synchronizing' && status()!.nodes.length === masters); i++) await sleep(50);
  const dstCpu = (): number => dst.masters.reduce((a, m) => a + cpuSeconds(m.pid), 0);
  if (CASE === 'incremental-cluster') {
    const m = await clusterIncremental(src, daemon.pid, dstCpu, status);
    await daemon.stop();
    return { m, stop: async () => { await Promise.all([src.stop(), dst.stop()]); } };
  }
  const oursSeconds = (Date.now() - daemon.started) / 1000;
  const cpu = { daemon: cpuSeconds(daemon.pid), destination: dstCpu(), nativeReplica: 0 };
  await daemon.stop();
  const replicas = await Promise.all(src.masters.map(() => startRedis({ config: { 'repl-diskless-load': 'disabled' } })));
  const t0 = Date.now();
  await Promise.all(replicas.map((r, i) => replicateFrom(r, src.masters[i])));
  const nativeSeconds = (Date.now() - t0) / 1000;
  cpu.nativeReplica = replicas.reduce((a, r) => a + cpuSeconds(r.pid), 0);
  return {
    m: { what: `keys, full sync ${masters} -> ${masters} masters (native: ${masters} replicas at once)`, units: KEYS, oursSeconds, nativeSeconds, cpu },
    stop: async () => { await Promise.all([src.stop(), dst.stop(), ...replicas.map((r) => r.stop())]); },
  };
}

function report(m: Measured, profDir: string): void {
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${profDir}`);
  const top = selfTimes(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile);
  const perMillion = (cpu: number): number => Number((cpu / (m.units / 1e6)).toFixed(3));
  const cpuPerMillion = { daemon: perMillion(m.cpu.daemon), destination: perMillion(m.cpu.destination), nativeReplica: perMillion(m.cpu.nativeReplica) };
  const out = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  copyFileSync(join(profDir, file), join(out, `daemon-${CASE}.cpuprofile`));
  const summary = { date: new Date().toISOString(), case: CASE, units: m.units, what: m.what, oursSeconds: m.oursSeconds, nativeSeconds: m.nativeSeconds, cpuSecondsPerMillion: cpuPerMillion, top };
  writeFileSync(join(out, `profile-${CASE}.json`), JSON.stringify(summary, null, 2));
  console.log(`${m.units} ${m.what}: ours ${m.oursSeconds.toFixed(1)} s${m.nativeSeconds === null ? '' : `, native ${m.nativeSeconds.toFixed(1)} s`}; CPU s per million: daemon ${cpuPerMillion.daemon}, its destination ${cpuPerMillion.destination}, a native replica ${cpuPerMillion.nativeReplica}`);
  for (const t of top) console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.fn}`);
  console.log(`wrote ${join(out, `profile-${CASE}.json`)} and daemon-${CASE}.cpuprofile`);
}

/** redis-benchmark --cluster SETs into a source cluster the daemon follows (no native replicas: their CPU is 0 here). */
async function clusterIncremental(src: RedisCluster, daemonPid: number, dstCpu: () => number, status: Status): Promise<Measured> {
  const cpu0 = [cpuSeconds(daemonPid), dstCpu()];
  const t0 = Date.now();
  const first = src.masters[0];
  await run('redis-benchmark', ['--cluster', '-h', first.host, '-p', String(first.port), '-t', 'set', '-n', String(N), '-P', '16', '-c', String(4 * src.masters.length), '-r', '1000000', '-d', '100', '-q']);
  const targets = await Promise.all(src.masters.map(async (m) => [m.addr, Number(/master_repl_offset:(\d+)/.exec(await m.client().info('replication'))![1])] as const));
  for (let i = 0; i < 30_000; i++) {
    const st = status();
    if (st && targets.every(([addr, off]) => (st.nodes.find((n) => n.node === addr)?.appliedOffset ?? 0) >= off)) break;
    await sleep(10);
  }
  return { what: `SETs (redis-benchmark --cluster -P16) into ${src.masters.length} source masters`, units: N, oursSeconds: (Date.now() - t0) / 1000, nativeSeconds: null, cpu: { daemon: cpuSeconds(daemonPid) - cpu0[0], destination: dstCpu() - cpu0[1], nativeReplica: 0 } };
}

async function main(): Promise<void> {
  const profDir = mkdtempSync(join(tmpdir(), 'redis-sync-prof-'));
  if (CASE === 'full-cluster' || CASE === 'incremental-cluster') {
    const { m, stop } = await clusterCase(profDir);
    try {
      report(m, profDir);
    } finally {
      await stop();
    }
    return;
  }
  const src = await startRedis({ config: { 'repl-backlog-size': '512mb', 'client-output-buffer-limit': 'replica 0 0 0', 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } });
  const dst = await startRedis();
  const native = await startRedis({ config: { 'repl-diskless-load': 'disabled' } });
  try {
    if (CASE === 'full-strings') await fillStrings(src.client(), KEYS);
    else if (CASE === 'full-mixed') await fillMixed(src.client(), KEYS);
    else if (CASE !== 'incremental') throw new Error(`BENCH_PROFILE_CASE: incremental, full-strings, full-mixed, full-cluster or incremental-cluster, not ${CASE}`);
    const spec = { name: 'bench-profile', source: { mode: 'standalone' as const, nodes: [src.addr] }, destination: { mode: 'standalone' as const, nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    const daemon = startProfiled(spec, profDir);
    const { status } = daemon;
    let m: Measured;
    if (CASE === 'incremental') {
      for (let i = 0; i < 1200 && status()?.state !== 'Synchronizing'; i++) await sleep(50);
      if (status()?.state !== 'Synchronizing') throw new Error('the daemon did not reach Synchronizing in 60 s');
      m = await incremental(src, dst, native, daemon.pid, status);
    } else m = await fullSync(src, dst, native, daemon.pid, status, daemon.started);
    await daemon.stop();
    report(m, profDir);
  } finally {
    await Promise.all([src.stop(), dst.stop(), native.stop()]);
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
