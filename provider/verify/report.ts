// The verification report and the tally that builds it.
import { printableBytes } from '../writer/command-text';

export type Problem = 'missing on destination' | 'extra on destination' | 'type' | 'value' | 'ttl';

export interface Mismatch {
  /** The source db (for a key extra on the destination: the destination db). */
  db: number;
  /** utf8 when printable, else "b64:..." */
  key: string;
  problem: Problem;
  detail: string;
  /** Each side's value in short (key-diff.ts summarize), once rechecked. */
  source?: string;
  destination?: string;
  /** The source's offset at which the key was read, and the destination's applied offset when it was compared. */
  sourceOffset?: number;
  destinationOffset?: number | null;
}

/** A key that could not be compared at a settled point (changing on every recheck, or a destination that lags). */
export interface UnsettledKey {
  db: number;
  key: string;
  reason: string;
}

export type RepairAction = 'restored' | 'deleted';

export interface RepairReport {
  /** Keys re-copied (or deleted) and found equal on the recheck that followed. */
  repaired: number;
  /** Keys that could not be repaired, with why in firstFailures. */
  failed: number;
  firstRepaired: Array<{ db: number; key: string; action: RepairAction }>;
  firstFailures: UnsettledKey[];
}

export interface VerifyReport {
  consistent: boolean;
  keysCompared: number;
  missingOnDestination: number;
  extraOnDestination: number;
  typeMismatches: number;
  valueMismatches: number;
  ttlMismatches: number;
  firstMismatches: Mismatch[];
  durationMs: number;
  /** Differences were rechecked once the destination had applied the source's offset (a task's daemon was running). */
  online?: boolean;
  /** The share of keys compared when sampling (null: every key). */
  sampled?: number | null;
  /** Keys the first pass found different that were equal once rechecked: writes in flight. */
  inFlight?: number;
  /** Keys not compared at a settled point: neither equal nor a difference. */
  unsettled?: number;
  firstUnsettled?: UnsettledKey[];
  repair?: RepairReport;
}

const COUNTER: Record<Problem, keyof Pick<VerifyReport, 'missingOnDestination' | 'extraOnDestination' | 'typeMismatches' | 'valueMismatches' | 'ttlMismatches'>> = {
  'missing on destination': 'missingOnDestination',
  'extra on destination': 'extraOnDestination',
  type: 'typeMismatches',
  value: 'valueMismatches',
  ttl: 'ttlMismatches',
};

export class Tally {
  readonly report: VerifyReport = {
    consistent: true, keysCompared: 0, missingOnDestination: 0, extraOnDestination: 0,
    typeMismatches: 0, valueMismatches: 0, ttlMismatches: 0, firstMismatches: [], durationMs: 0,
    inFlight: 0, unsettled: 0, firstUnsettled: [],
  };
  constructor(private readonly maxMismatches: number) {}

  add(db: number, key: Buffer, problem: Problem, detail: string, more: Pick<Mismatch, 'source' | 'destination' | 'sourceOffset' | 'destinationOffset'> = {}): void {
    this.report.consistent = false;
    this.report[COUNTER[problem]]++;
    if (this.report.firstMismatches.length < this.maxMismatches) {
      this.report.firstMismatches.push({ db, key: printableBytes(key), problem, detail, ...more });
    }
  }

  unsettled(db: number, key: Buffer, reason: string): void {
    this.report.unsettled = (this.report.unsettled ?? 0) + 1;
    const list = (this.report.firstUnsettled ??= []);
    if (list.length < this.maxMismatches) list.push({ db, key: printableBytes(key), reason });
  }
}
