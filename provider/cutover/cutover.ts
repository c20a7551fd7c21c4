// The migration moment (the cutover input): writes paused on every source master (CLIENT PAUSE ... WRITE, bounded by
// pauseSeconds in case this process dies), the offsets read, a wait until every stream's applied offset on the
// destination reaches them, then a verify at that point, and the source unpaused: it is paused for the lag plus the
// verify time, no longer. The task keeps replicating what the source takes after that (clients that have not switched
// yet lose nothing), unless a reverse task takes over while the source is still paused (reverse.ts). Any failed step
// unpauses the source and says why.
import type { Mode, TaskSpec } from '../spec/types';
import { resolveTask, requireLiveSource } from '../spec/resolve';
import { EndpointReader } from '../verify/endpoint-reader';
import { openTaskProgress } from '../verify/task-progress';
import { masterOffset } from '../verify/watched-read';
import { asBuffer } from '../verify/redis-calls';
import { verifyTask } from '../verify/verify-task';
import { verifyResult } from '../task/drift-check';
import type { VerifyResult } from '../state/status';
import { compareVersions } from '../precheck/checks';
import { withSentinelMaster } from '../sentinel/sentinel-master';

export interface CutoverSpec {
  /** How long the source's writes stay paused at most (CLIENT PAUSE timeout). */
  pauseSeconds?: number;
  /** How long to wait for the destination to apply the source's last offsets (within the pause). */
  waitSeconds?: number;
  /** Keys the final verify compares: a share or a number of keys; default every key. */
  verifySample?: number;
}

export interface CutoverResult {
  state: 'CutOver';
  /** When it ended: the source took writes again then (pausedAt is at - pauseMs). */
  at: string;
  /** Each source master's master_repl_offset once its writes were paused. */
  sourceOffsets: Record<string, number>;
  /** The destination's applied offset of each stream when it had caught up. */
  appliedOffsets: Record<string, number>;
  /** How long the source's writes were paused: the catch-up, the verify (verify.durationMs) and, with reverse, the task's stop. */
  pauseMs: number;
  /** Of the pause: the wait for the destination to apply the paused source's offsets (the lag at the cutover). */
  catchUpMs: number;
  verify: VerifyResult;
  /** With cutover.reverse: the task that now carries the destination's writes back to the source. */
  reverse?: ReverseStart;
}

/** The reverse task and where it started in the destination's replication history: no full sync. */
export interface ReverseStart {
  taskId: string;
  /** The reverse task's destination (the source's master at the cutover, for a Sentinel source): no credentials. */
  destination: { mode: Mode; nodes: string[] };
  /** Per destination master: its replid and offset at the pause, where the reverse stream continues. */
  from: Record<string, { replid: string; offset: number }>;
}

/** Steps run while the source is still paused, after the verify (the reverse task's start): their failure fails it. */
export interface CutoverHooks {
  whilePaused?: () => Promise<void>;
}

export class CutoverError extends Error {}

export const DEFAULT_PAUSE_SECONDS = 60;
export const DEFAULT_WAIT_SECONDS = 20;

export async function runCutover(given: TaskSpec, c: CutoverSpec, hooks: CutoverHooks = {}): Promise<CutoverResult> {
  // A Sentinel-managed source is paused on its current master.
  const spec = await withSentinelMaster(given);
  const task = resolveTask(spec);
  const pauseMs = (c.pauseSeconds ?? DEFAULT_PAUSE_SECONDS) * 1000;
  const waitMs = Math.min((c.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000, pauseMs);
  const src = await EndpointReader.open(requireLiveSource(spec.source, 'cutover'), 'source');
  const dst = await EndpointReader.open(spec.destination, 'destination');
  const paused: string[] = [];
  try {
    for (const node of src.masters) {
      const version = /redis_version:(\S+)/.exec(asBuffer(await (await src.client(node, 0)).call('INFO', 'server')).toString('latin1'))?.[1] ?? '0';
      if (compareVersions(version, '6.2.0') < 0) throw new CutoverError(`source ${node} runs Redis ${version}: pausing only writes (CLIENT PAUSE ... WRITE) needs 6.2; stop the writers yourself, then run verify`);
    }
    const pausedAt = Date.now();
    for (const node of src.masters) {
      await (await src.client(node, 0)).call('CLIENT', 'PAUSE', pauseMs, 'WRITE');
      paused.push(node);
    }
    const sourceOffsets: Record<string, number> = {};
    for (const node of src.masters) sourceOffsets[node] = await masterOffset(await src.client(node, 0));
    const progress = await openTaskProgress(src, dst, task.id, dst.isCluster ? 0 : task.mapDb(task.databases?.[0] ?? 0));
    if (!progress) throw new CutoverError(`the destination holds no status of task ${task.id}: the task is not running there`);
    const appliedOffsets: Record<string, number> = {};
    for (const node of src.masters) {
      const left = Math.max(0, waitMs - (Date.now() - pausedAt));
      const a = await progress.waitApplied(node, sourceOffsets[node], left);
      if ('stuck' in a) throw new CutoverError(`the destination did not catch up with the paused source: ${a.stuck}`);
      appliedOffsets[node] = a.offset;
    }
    const catchUpMs = Date.now() - pausedAt;
    const report = await verifyTask(spec, { sample: c.verifySample, maxMismatches: 10 });
    const verify = verifyResult(report);
    if (!report.consistent) {
      throw new CutoverError(`the final verify found ${verify.differences} differences (first: ${verify.firstDifferences.map((d) => `db${d.db} ${JSON.stringify(d.key)} ${d.problem}`).join(', ')}): repair them (redis-sync verify --repair) and cut over again`);
    }
    await hooks.whilePaused?.();
    await unpause(src, paused);
    const now = Date.now();
    return { state: 'CutOver', at: new Date(now).toISOString(), sourceOffsets, appliedOffsets, pauseMs: now - pausedAt, catchUpMs, verify };
  } catch (err) {
    // A failed cutover must not leave the source refusing writes until the pause times out.
    await unpause(src, paused).catch(() => undefined);
    throw err instanceof CutoverError ? err : new CutoverError(`cutover failed: ${(err as Error).message}`);
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}

/** Writes flow again on every master paused (best effort on each: one unreachable master does not keep the others). */
async function unpause(src: EndpointReader, paused: string[]): Promise<void> {
  const errors: string[] = [];
  for (const node of paused.splice(0)) {
    await (await src.client(node, 0)).call('CLIENT', 'UNPAUSE').catch((e: Error) => errors.push(`${node}: ${e.message}`));
  }
  if (errors.length) throw new CutoverError(`could not unpause the source (${errors.join('; ')}): its writes resume by themselves when the pause times out`);
}
