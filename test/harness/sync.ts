// What the end-to-end and fault tests share: a standalone task spec, the source's offset, waiting until the daemon
// has applied all of it, and the oracle every such test ends with (verify consistent).
import assert from 'node:assert/strict';
import { sleep, type RedisServer } from './redis';
import { verifyTask } from '../../provider/verify/verify-task';
import type { TaskSpec } from '../../provider/spec/types';
import type { TaskStatus } from '../../provider/state/status';

/** Anything that publishes a status: a supervised daemon or a plain `redis-sync run` (test/harness/daemon.ts). */
export interface StatusSource {
  status(): TaskStatus | null;
}

export interface Endpoint {
  addr: string;
  password?: string;
}

export function taskSpec(name: string, src: Endpoint, dst: Endpoint, extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name,
    source: { mode: 'standalone', nodes: [src.addr], ...(src.password ? { password: src.password } : {}) },
    destination: { mode: 'standalone', nodes: [dst.addr], ...(dst.password ? { password: dst.password } : {}) },
    heartbeat: { intervalMs: 100 },
    ...extra,
  };
}

export async function masterOffset(s: RedisServer): Promise<number> {
  const info = await s.client().info('replication');
  return Number(/master_repl_offset:(\d+)/.exec(info)![1]);
}

/** Waits until the daemon has applied everything the source has written (lag 0 in offsets). */
export async function caughtUp(d: StatusSource, src: RedisServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const target = await masterOffset(src);
    const st = d.status();
    if (st && st.state === 'Synchronizing' && st.nodes.every((n) => n.appliedOffset >= target)) return;
    await sleep(50);
  }
  throw new Error(`daemon did not catch up within ${timeoutMs} ms: ${JSON.stringify(d.status())}`);
}

/** The oracle every fault test ends with: verify finds the destination identical to the source (no key lost). */
export async function assertConsistent(spec: TaskSpec, minKeys = 1): Promise<number> {
  const report = await verifyTask(spec);
  assert.equal(report.consistent, true, `verify found differences: ${JSON.stringify(report.firstMismatches.slice(0, 5))}`);
  assert.ok(report.keysCompared >= minKeys, `verify compared ${report.keysCompared} keys, expected at least ${minKeys}`);
  return report.keysCompared;
}
