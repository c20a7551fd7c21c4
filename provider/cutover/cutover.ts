// The migration moment (the cutover input): writes paused on every source master (CLIENT PAUSE ... WRITE, bounded by
// pauseSeconds), the offsets read, a wait until every stream's applied offset on the destination reaches them, then
// a verify at that point. Success leaves the source paused for the rest of pauseSeconds (the window to switch the
// clients to the destination) and reports the final offsets; any failed step unpauses the source and says why.
import type { TaskSpec } from '../spec/types';
import { resolveTask, requireLiveSource } from '../spec/resolve';
import { EndpointReader } from '../verify/endpoint-reader';
import { openTaskProgress } from '../verify/task-progress';
import { masterOffset } from '../verify/watched-read';
import { asBuffer } from '../verify/redis-calls';
import { verifyTask } from '../verify/verify-task';
import { verifyResult } from '../task/drift-check';
import type { VerifyResult } from '../state/status';
import { compareVersions } from '../precheck/checks';
import { withSentinelMaster } from '../source/sentinel';

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
  at: string;
  /** Each source master's master_repl_offset once its writes were paused. */
  sourceOffsets: Record<string, number>;
  /** The destination's applied offset of each stream when it had caught up. */
  appliedOffsets: Record<string, number>;
  /** From the pause to the end of the verify: how long the switch-over took. */
  pauseMs: number;
  /** When the source's writes resume by themselves (the pause's timeout). */
  pausedUntil: string;
  verify: VerifyResult;
}

export class CutoverError extends Error {}

export const DEFAULT_PAUSE_SECONDS = 60;
export const DEFAULT_WAIT_SECONDS = 20;

export async function runCutover(given: TaskSpec, c: CutoverSpec): Promise<CutoverResult> {
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
    const report = await verifyTask(spec, { sample: c.verifySample, maxMismatches: 10 });
    const verify = verifyResult(report);
    if (!report.consistent) {
      throw new CutoverError(`the final verify found ${verify.differences} differences (first: ${verify.firstDifferences.map((d) => `db${d.db} ${JSON.stringify(d.key)} ${d.problem}`).join(', ')}): repair them (redis-sync verify --repair) and cut over again`);
    }
    const now = Date.now();
    return {
      state: 'CutOver', at: new Date(now).toISOString(), sourceOffsets, appliedOffsets, pauseMs: now - pausedAt,
      pausedUntil: new Date(pausedAt + pauseMs).toISOString(), verify,
    };
  } catch (err) {
    // A failed cutover must not leave the source refusing writes until the pause times out.
    for (const node of paused) await (await src.client(node, 0)).call('CLIENT', 'UNPAUSE').catch(() => undefined);
    throw err instanceof CutoverError ? err : new CutoverError(`cutover failed: ${(err as Error).message}`);
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}
