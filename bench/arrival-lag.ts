// Arrival lag, the same probe on both sides: a source with a native replica and our daemon attached at once, a paced
// SET load in a child process (paced-load.ts), and every 5 ms a probe `SET lagprobe:<n>` on the source. The native
// replica and our destination both publish keyspace notifications; the bench takes the time from sending probe n to
// hearing `set` on lagprobe:<n> from each. Both sides see the same load and the same probes at the same moments.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../test/harness/redis';
import { startDaemon, removeDir, REPO_ROOT } from '../test/harness/daemon';
import { replicateFrom } from './native-replica';

const run = promisify(execFile);
const PROBE_EVERY_MS = 5;
const PROBE_PREFIX = 'lagprobe:';

export interface LagFigures { p50: number; p99: number; max: number; heard: number }

/** Milliseconds from send to arrival of each probe heard, by probe number. */
async function listen(server: RedisServer, arrivals: Map<number, number>): Promise<Redis> {
  await server.client().config('SET', 'notify-keyspace-events', 'K$');
  const sub = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await sub.connect();
  sub.on('pmessage', (_p: string, channel: string) => {
    const n = Number(channel.slice(channel.lastIndexOf(':') + 1));
    if (!arrivals.has(n)) arrivals.set(n, performance.now());
  });
  await sub.psubscribe(`__keyspace@0__:${PROBE_PREFIX}*`);
  return sub;
}

function figures(sent: Map<number, number>, arrivals: Map<number, number>): LagFigures {
  const lags = [...sent].filter(([n]) => arrivals.has(n)).map(([n, t]) => arrivals.get(n)! - t).sort((a, b) => a - b);
  const at = (q: number): number => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))];
  return { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1], heard: lags.length };
}

/** One round at `rate` writes/s for `seconds`: the native replica's and our arrival lag, probes sent meanwhile. */
export async function arrivalLagCase(rate: number, seconds: number): Promise<Record<string, number>> {
  const src = await startRedis({ config: { 'repl-backlog-size': '256mb', 'client-output-buffer-limit': 'replica 0 0 0' } });
  const native = await startRedis();
  const dst = await startRedis();
  const subs: Redis[] = [];
  try {
    const spec = { name: 'bench-lag', source: { mode: 'standalone' as const, nodes: [src.addr] }, destination: { mode: 'standalone' as const, nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    const daemon = startDaemon(spec, { args: ['--skip-prechecks'] });
    await daemon.waitForState('Synchronizing', 60_000);
    await replicateFrom(native, src);
    const nativeArrivals = new Map<number, number>();
    const oursArrivals = new Map<number, number>();
    subs.push(await listen(native, nativeArrivals), await listen(dst, oursArrivals));
    const load = run(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'paced-load.js'), src.host, String(src.port), String(rate), String(seconds)]);
    await sleep(1000);
    const sent = new Map<number, number>();
    const prober = src.client().duplicate();
    const probes = Math.floor(((seconds - 2) * 1000) / PROBE_EVERY_MS);
    const t0 = performance.now();
    for (let n = 0; n < probes; n++) {
      sent.set(n, performance.now());
      void prober.set(`${PROBE_PREFIX}${n}`, '1');
      const wait = t0 + (n + 1) * PROBE_EVERY_MS - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const achieved = JSON.parse((await load).stdout) as { writesPerSecond: number };
    await sleep(500);
    prober.disconnect();
    await daemon.kill('SIGTERM');
    removeDir(dirname(daemon.specPath));
    const n = figures(sent, nativeArrivals);
    const o = figures(sent, oursArrivals);
    return {
      rate, achievedWritesPerSecond: achieved.writesPerSecond, probes,
      nativeP50Ms: n.p50, nativeP99Ms: n.p99, nativeMaxMs: n.max, nativeHeard: n.heard,
      oursP50Ms: o.p50, oursP99Ms: o.p99, oursMaxMs: o.max, oursHeard: o.heard,
      p50Ratio: o.p50 / n.p50, p99Ratio: o.p99 / n.p99,
    };
  } finally {
    for (const s of subs) s.disconnect();
    await Promise.all([src.stop(), native.stop(), dst.stop()]);
  }
}
