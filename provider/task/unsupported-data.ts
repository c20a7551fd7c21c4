// Data the destination has no equivalent for: the task stops naming it, or, when the user chose to skip such keys
// (ignorePrechecks lists destination-unsupported-data), drops it with a warning that names the key.
import type { Logger } from '../state/logger';

const NAMED_KEYS = 20;

export class UnsupportedData {
  private skipped = 0;

  constructor(private readonly skip: boolean, private readonly log: Logger, private readonly node: string) {}

  /** true: skipped (warned); false: the caller stops the task with `what`. */
  trySkip(what: string, key: Buffer | null, offset: number | null): boolean {
    if (!this.skip) return false;
    this.skipped++;
    if (this.skipped <= NAMED_KEYS) {
      this.log.warn({ node: this.node, key: key?.toString('utf8') ?? null, offset }, `skipped (destination-unsupported-data is ignored): ${what}`);
    } else if (this.skipped % 1000 === 0) {
      this.log.warn({ node: this.node, skipped: this.skipped }, `skipped ${this.skipped} keys or commands the destination cannot take so far`);
    }
    return true;
  }
}
