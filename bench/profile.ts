// bench/profile: where the daemon's CPU goes while the source takes a sustained write load (redis-benchmark SET -P16
// -c50, the `sustained` case of bench/sync). The daemon runs with node's --cpu-prof; this prints the functions with the
// most self time (and their share of the samples); the CPU seconds per million applied commands of the daemon, of its
// destination server, and of a native replica attached to the same source at the same time (the cost to beat); writes
// bench/results/profile.json next to the raw .cpuprofile (open it in Chrome DevTools for the call tree).
// BENCH_PROFILE_COMMANDS (default 2M) sets the load; BENCH_PROFILE_TOP the number of functions printed.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, sleep } from '../test/harness/redis';
import { REPO_ROOT, CLI, writeSpec } from '../test/harness/daemon';
import type { TaskStatus } from '../provider/state/status';
import { spawn } from 'node:child_process';

const run = promisify(execFile);
const N = Number(process.env.BENCH_PROFILE_COMMANDS ?? 2_000_000);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 30);

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

async function main(): Promise<void> {
  const profDir = mkdtempSync(join(tmpdir(), 'redis-sync-prof-'));
  const src = await startRedis({ config: { 'repl-backlog-size': '512mb', 'client-output-buffer-limit': 'replica 0 0 0' } });
  const dst = await startRedis();
  const native = await startRedis();
  try {
    await native.client().call('REPLICAOF', src.host, String(src.port));
    const spec = { name: 'bench-profile', source: { mode: 'standalone' as const, nodes: [src.addr] }, destination: { mode: 'standalone' as const, nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    const { specPath, dir } = writeSpec(spec);
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, CLI, 'run', '--config', specPath, '--state-dir', join(dir, 'state'), '--skip-prechecks'], { stdio: 'ignore' });
    const statusPath = join(dir, 'state', spec.name, 'status.json');
    const status = (): TaskStatus | null => { try { return JSON.parse(readFileSync(statusPath, 'utf8')) as TaskStatus; } catch { return null; } };
    for (let i = 0; i < 1200 && status()?.state !== 'Synchronizing'; i++) await sleep(50);
    if (status()?.state !== 'Synchronizing') throw new Error('the daemon did not reach Synchronizing in 60 s');
    for (let i = 0; i < 1200 && !/master_link_status:up/.test(await native.client().info('replication')); i++) await sleep(50);
    const cpu0 = cpuSeconds(child.pid!);
    const dst0 = cpuSeconds(dst.pid);
    const native0 = cpuSeconds(native.pid);
    const t0 = Date.now();
    await run('redis-benchmark', ['-h', src.host, '-p', String(src.port), '-t', 'set', '-n', String(N), '-P', '16', '-c', '50', '-r', '1000000', '-d', '100', '-q']);
    const issueSeconds = (Date.now() - t0) / 1000;
    const target = Number(/master_repl_offset:(\d+)/.exec(await src.client().info('replication'))![1]);
    for (let i = 0; i < 6000 && (status()?.nodes[0].appliedOffset ?? 0) < target; i++) await sleep(20);
    const applySeconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpu0;
    const perMillion = (s: number): number => Number((s / (N / 1e6)).toFixed(3));
    const cpuPerMillion = { daemon: perMillion(cpu), destination: perMillion(cpuSeconds(dst.pid) - dst0), nativeReplica: perMillion(cpuSeconds(native.pid) - native0) };
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${profDir}`);
    const top = selfTimes(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile);
    const out = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    copyFileSync(join(profDir, file), join(out, 'daemon.cpuprofile'));
    const summary = { date: new Date().toISOString(), commands: N, issuedPerSecond: N / issueSeconds, appliedPerSecond: N / applySeconds, cpuSecondsPerMillion: cpuPerMillion, top };
    writeFileSync(join(out, 'profile.json'), JSON.stringify(summary, null, 2));
    console.log(`${N} SETs: issued ${Math.round(N / issueSeconds)}/s, applied ${Math.round(N / applySeconds)}/s; CPU s per million: daemon ${cpuPerMillion.daemon}, its destination ${cpuPerMillion.destination}, a native replica ${cpuPerMillion.nativeReplica}`);
    for (const t of top) console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.fn}`);
    console.log(`wrote ${join(out, 'profile.json')} and daemon.cpuprofile`);
  } finally {
    await Promise.all([src.stop(), dst.stop(), native.stop()]);
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
