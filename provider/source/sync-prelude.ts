// A master that serves the request as SYNC (what Redis does for a renamed PSYNC) sends no "+FULLRESYNC replid
// offset", but the snapshot it makes for replicas records both in its first aux fields (repl-id, repl-offset: the
// offset the command stream continues from). This reads them from the start of the snapshot, so that the link's
// offsets are the master's own (REPLCONF ACK, WAIT, status and lag compare with master_repl_offset).
import { RdbReader } from '../rdb/reader';

/** How far into the snapshot the aux fields are looked for: they come right after the header. */
const PRELUDE_LIMIT = 64 * 1024;

export type PreludeResult = { replid: string; offset: number } | null;

export class SyncPrelude {
  private readonly reader = new RdbReader();
  private seen = 0;
  private replid: string | null = null;
  private offset: number | null = null;

  /** Feeds snapshot bytes; returns undefined while undecided, then the master's position (null: not recorded). */
  push(chunk: Buffer): PreludeResult | undefined {
    this.seen += chunk.length;
    let entries;
    try {
      entries = this.reader.push(chunk);
    } catch {
      return null; // the snapshot's own reader reports a bad RDB; here it only means "unknown"
    }
    for (const e of entries) {
      if (e.kind !== 'aux') return this.result();
      const name = e.name.toString('latin1');
      if (name === 'repl-id') this.replid = e.value.toString('latin1');
      if (name === 'repl-offset') this.offset = Number(e.value.toString('latin1'));
      if (this.replid !== null && this.offset !== null) return this.result();
    }
    return this.seen >= PRELUDE_LIMIT ? this.result() : undefined;
  }

  /** The snapshot ended before a decision. */
  end(): PreludeResult {
    return this.result();
  }

  private result(): PreludeResult {
    const ok = this.replid !== null && /^[0-9a-f]{40}$/.test(this.replid) && Number.isSafeInteger(this.offset) && this.offset! >= 0;
    return ok ? { replid: this.replid!, offset: this.offset! } : null;
  }
}
