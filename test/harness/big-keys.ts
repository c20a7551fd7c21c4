// Big single keys for the memory tests and bench/big-keys: a string of random (incompressible) bytes, so the
// snapshot holds it raw rather than LZF-compressed, and collections of many small elements.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';

const PIECE = 1024 * 1024;
const BATCH = 1000;

export async function fillBigString(c: Redis, key: string, bytes: number): Promise<void> {
  await c.del(key);
  for (let done = 0; done < bytes; done += PIECE) await c.append(key, randomBytes(Math.min(PIECE, bytes - done)));
}

/** Elements `<i>:<prefix>` in pipelined commands of BATCH elements (at most 64 in flight). */
async function fillElements(c: Redis, n: number, add: (p: ReturnType<Redis['pipeline']>, from: number, to: number) => void): Promise<void> {
  for (let base = 0; base < n; base += BATCH * 64) {
    const p = c.pipeline();
    for (let from = base; from < Math.min(n, base + BATCH * 64); from += BATCH) add(p, from, Math.min(n, from + BATCH));
    await p.exec();
  }
}

function range(from: number, to: number, f: (i: number) => Array<string | number>): Array<string | number> {
  const out: Array<string | number> = [];
  for (let i = from; i < to; i++) out.push(...f(i));
  return out;
}

export type BigKind = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

/** Fills `key` with a value of `size` (bytes for a string, elements otherwise). */
export async function fillBigKey(c: Redis, kind: BigKind, key: string, size: number): Promise<void> {
  switch (kind) {
    case 'string': return fillBigString(c, key, size);
    case 'list': return fillElements(c, size, (p, a, b) => { p.rpush(key, ...range(a, b, (i) => [`element:${i}`])); });
    case 'set': return fillElements(c, size, (p, a, b) => { p.sadd(key, ...range(a, b, (i) => [`member:${i}`])); });
    case 'zset': return fillElements(c, size, (p, a, b) => { p.zadd(key, ...range(a, b, (i) => [i, `member:${i}`])); });
    case 'hash': return fillElements(c, size, (p, a, b) => { p.hset(key, ...range(a, b, (i) => [`field:${i}`, `value:${i}`])); });
    case 'stream': return fillElements(c, size, (p, a, b) => { for (let i = a; i < b; i++) p.xadd(key, `${i + 1}-1`, 'f', `v${i}`); });
  }
}

/** DEBUG DIGEST-VALUE: compares a big value on two servers without reading it. */
export async function digestValue(c: Redis, key: string): Promise<string> {
  return String(await c.call('DEBUG', 'DIGEST-VALUE', key));
}

/** The peak resident set of a process (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * VmHWM of a process that may exit on its own (a failing task): read every 20 ms, the last reading kept, since
 * /proc forgets the process when it exits. stop() ends the polling and gives the figure.
 */
export function watchPeakRss(pid: number): { stop(): number } {
  let peak = NaN;
  const read = (): void => {
    // A zombie's status has no VmHWM line (NaN): the last real reading stands.
    try {
      const now = peakRssMb(pid);
      if (Number.isFinite(now)) peak = now;
    } catch { /* exited */ }
  };
  read();
  const t = setInterval(read, 20);
  return { stop: () => { read(); clearInterval(t); return peak; } };
}
