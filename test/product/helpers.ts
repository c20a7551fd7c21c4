// Shared by the product tests: running the CLI, a source whose full sync is slow enough to watch, and bounded waits.
import { spawn, spawnSync } from 'node:child_process';
import type Redis from 'ioredis';
import { CLI } from '../harness/daemon';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import type { TaskSpec } from '../../provider/spec/types';

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI as a child process, for --watch and -f; resolves when it exits (killed after timeoutMs). */
export function cliAsync(args: string[], timeoutMs = 60_000): { done: Promise<CliResult>; output: () => string; kill: (s?: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => child.once('exit', (code) => { clearTimeout(timer); resolve({ status: code, stdout, stderr }); }));
  return { done, output: () => stdout, kill: (s = 'SIGINT') => { child.kill(s); } };
}

/** count string keys of 100 bytes in db 0, written with pipelined MSETs. */
export async function fillKeys(c: Redis, count: number, prefix = 'k'): Promise<void> {
  const value = 'v'.repeat(100);
  for (let i = 0; i < count; i += 10_000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(count, i + 10_000); j += 1000) {
      const args: string[] = [];
      for (let k = j; k < Math.min(count, j + 1000); k++) args.push(`${prefix}:${k}`, value);
      p.mset(...args);
    }
    await p.exec();
  }
}

/**
 * A source whose full sync takes seconds: diskless replication streams the RDB while it is written, and
 * rdb-key-save-delay sleeps that many microseconds per key, so the daemon sees keys arrive at a steady pace.
 */
export async function slowSource(keyDelayMicros: number): Promise<RedisServer> {
  return startRedis({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0', 'rdb-key-save-delay': String(keyDelayMicros) } });
}

export function taskSpec(name: string, src: RedisServer, dst: RedisServer, extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name,
    source: { mode: 'standalone', nodes: [src.addr] },
    destination: { mode: 'standalone', nodes: [dst.addr] },
    heartbeat: { intervalMs: 100 },
    ...extra,
  };
}

/** Polls fn until it returns a value (not undefined), at most timeoutMs and a bounded number of tries. */
export async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined | Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
}
