// The daemon's periodic sampled verify (spec.verify): every everyMinutes while the task synchronizes, a sample of the
// keys compared online, its result kept in the status (published on the destination with it), so that `pulumi
// refresh`, `redis-sync status` and the metrics show drift: keys changed on the destination behind the task's back.
import type { TaskSpec } from '../spec/types';
import type { TaskStatus, VerifyResult } from '../state/status';
import type { Logger } from '../state/logger';
import { verifyTask } from '../verify/verify-task';
import type { VerifyReport } from '../verify/report';

export const DEFAULT_VERIFY_SAMPLE = 1000;
const LISTED = 10;

export function verifyResult(r: VerifyReport): VerifyResult {
  return {
    at: new Date().toISOString(), durationMs: r.durationMs, consistent: r.consistent, keysCompared: r.keysCompared,
    sampled: r.sampled ?? null,
    differences: r.missingOnDestination + r.extraOnDestination + r.typeMismatches + r.valueMismatches + r.ttlMismatches,
    inFlight: r.inFlight ?? 0, unsettled: r.unsettled ?? 0,
    firstDifferences: r.firstMismatches.slice(0, LISTED).map((m) => ({ db: m.db, key: m.key, problem: m.problem, detail: m.detail })),
    error: null,
  };
}

export class DriftCheck {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly spec: TaskSpec, private readonly status: TaskStatus, private readonly log: Logger) {}

  start(): void {
    const every = this.spec.verify?.everyMinutes;
    if (!every || this.timer) return;
    this.timer = setInterval(() => { this.running ??= this.run().finally(() => { this.running = null; }); }, every * 60_000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a verify under way (it reads only: nothing to undo). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async run(): Promise<void> {
    // A full sync or a retry in progress makes every key a difference or a wait: only a synchronizing task is checked.
    if (this.status.state !== 'Synchronizing') return;
    const started = Date.now();
    try {
      const r = verifyResult(await verifyTask(this.spec, { sample: this.spec.verify?.sample ?? DEFAULT_VERIFY_SAMPLE, maxMismatches: LISTED }));
      this.status.lastVerify = r;
      const fields = { keys: r.keysCompared, differences: r.differences, inFlight: r.inFlight, unsettled: r.unsettled, ms: r.durationMs };
      if (r.consistent) this.log.info(fields, 'periodic verify: consistent');
      else this.log.warn({ ...fields, first: r.firstDifferences }, 'periodic verify: the destination differs from the source (changed behind the task\'s back?)');
    } catch (err) {
      this.status.lastVerify = {
        at: new Date().toISOString(), durationMs: Date.now() - started, consistent: false, keysCompared: 0, sampled: null,
        differences: 0, inFlight: 0, unsettled: 0, firstDifferences: [], error: (err as Error).message,
      };
      this.log.warn({ err: (err as Error).message }, 'periodic verify could not run');
    }
  }
}
