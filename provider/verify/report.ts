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
  };
  constructor(private readonly maxMismatches: number) {}

  add(db: number, key: Buffer, problem: Problem, detail: string): void {
    this.report.consistent = false;
    this.report[COUNTER[problem]]++;
    if (this.report.firstMismatches.length < this.maxMismatches) {
      this.report.firstMismatches.push({ db, key: printableBytes(key), problem, detail });
    }
  }
}
