// Data the destination has no equivalent for: the task stops naming it, or, when the user chose to skip such keys
// (ignorePrechecks lists destination-unsupported-data), drops it with a warning that names the key. A skipped key is
// skipped whole: what was already written of it is deleted and its later commands are dropped, so the destination
// never holds half of it (a hash without its field TTLs).
import type { Logger } from '../state/logger';

const NAMED_KEYS = 20;
/** Skipped keys remembered at most (their later commands dropped); beyond, later commands are judged one by one. */
const MAX_SKIPPED_KEYS = 100_000;

export class UnsupportedData {
  private skippedCount = 0;
  private readonly keys = new Set<string>();

  constructor(private readonly skip: boolean, private readonly log: Logger, private readonly node: string) {}

  /** true: skipped (warned, and the key remembered); false: the caller stops the task with `what`. */
  trySkip(what: string, db: number, key: Buffer | null, offset: number | null): boolean {
    if (!this.skip) return false;
    this.skippedCount++;
    if (key && this.keys.size < MAX_SKIPPED_KEYS) this.keys.add(id(db, key));
    if (this.skippedCount <= NAMED_KEYS) {
      this.log.warn({ node: this.node, db, key: key?.toString('utf8') ?? null, offset }, `skipped (destination-unsupported-data is ignored): ${what}`);
    } else if (this.skippedCount % 1000 === 0) {
      this.log.warn({ node: this.node, skipped: this.skippedCount }, `skipped ${this.skippedCount} keys or commands the destination cannot take so far`);
    }
    return true;
  }

  /** A key skipped earlier: its later commands are dropped too. */
  isSkipped(db: number, key: Buffer | undefined): boolean {
    return this.keys.size > 0 && key !== undefined && this.keys.has(id(db, key));
  }
}

const id = (db: number, key: Buffer): string => `${db} ${key.toString('latin1')}`;
