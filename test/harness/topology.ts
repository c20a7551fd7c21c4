// What the tests with a cluster on one side or both share: a task spec for any two sides, per-master offsets,
// waiting until every stream applied its master's writes, and verify as the oracle.
import assert from 'node:assert/strict';
import { sleep, type RedisServer, type RedisCluster } from './redis';
import type { Daemon } from './daemon';
import { verifyTask } from '../../provider/verify/verify-task';
import type { TaskSpec, EndpointSpec } from '../../provider/spec/types';

export type Side = RedisServer | RedisCluster;

export function isCluster(s: Side): s is RedisCluster {
  return 'masters' in s;
}

export function endpoint(s: Side): EndpointSpec {
  return isCluster(s) ? { mode: 'cluster', nodes: [s.nodes[0]] } : { mode: 'standalone', nodes: [s.addr] };
}

export function sideSpec(name: string, src: Side, dst: Side, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { name, source: endpoint(src), destination: endpoint(dst), heartbeat: { intervalMs: 100 }, ...extra };
}

export async function masterOffsets(s: Side): Promise<Map<string, number>> {
  const masters = isCluster(s) ? s.masters : [s];
  const out = new Map<string, number>();
  for (const m of masters) out.set(m.addr, Number(/master_repl_offset:(\d+)/.exec(await m.client().info('replication'))![1]));
  return out;
}

/** Every stream has applied what its master has written; a Failed task fails at once with its error. */
export async function caughtUpAll(d: Daemon, src: Side, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const target = await masterOffsets(src);
    const st = d.status();
    if (st?.state === 'Failed') throw new Error(`task failed: ${st.lastError?.message}\n${d.output()}`);
    if (st && st.nodes.length === target.size && st.nodes.every((n) => n.appliedOffset >= (target.get(n.node) ?? Infinity))) return;
    await sleep(50);
  }
  throw new Error(`not caught up within ${timeoutMs} ms: ${JSON.stringify(d.status()?.nodes.map((n) => [n.node, n.appliedOffset, n.state]))}\n${d.output()}`);
}

export async function assertSidesConsistent(s: TaskSpec, minKeys = 100): Promise<number> {
  const report = await verifyTask(s);
  assert.equal(report.consistent, true, `verify: ${JSON.stringify(report.firstMismatches.slice(0, 5))}`);
  assert.ok(report.keysCompared >= minKeys, `only ${report.keysCompared} keys compared`);
  return report.keysCompared;
}
