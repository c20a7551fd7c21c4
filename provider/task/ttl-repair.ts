// Relative expiries replayed while the source's clock is uncertain (a backlog written while no heartbeat was: the
// daemon was down) were made absolute with the last heartbeat, which can be off by the whole outage. Their keys are
// remembered, and once the stream has caught up (a fresh heartbeat) their TTLs are read back from the source and
// written again, so an outage neither lengthens nor shortens a TTL.

import { encodeCommand } from '../resp/encode';
import type { DbCommand } from '../filter/command-filter';

/** PTTL of keys in one source db, read from the source. */
export type PttlReader = (db: number, keys: Buffer[]) => Promise<number[]>;

/** Keys remembered at most; beyond, the rest keep the heartbeat-based expiry (the log counts them). */
export const MAX_REPAIR_KEYS = 100_000;

export class TtlRepair {
  private readonly byDb = new Map<number, Map<string, Buffer>>();
  private count = 0;
  /** Keys that could not be remembered (over MAX_REPAIR_KEYS). */
  overflow = 0;

  constructor(private readonly readPttls: PttlReader) {}

  get pending(): boolean {
    return this.count > 0;
  }

  note(db: number, key: Buffer): void {
    const keys = this.byDb.get(db) ?? this.byDb.set(db, new Map()).get(db)!;
    const id = key.toString('latin1');
    if (keys.has(id)) return;
    if (this.count >= MAX_REPAIR_KEYS) {
      this.overflow++;
      return;
    }
    keys.set(id, key);
    this.count++;
  }

  /**
   * PEXPIREAT for every remembered key that has a TTL on the source now (its time of reading: the midpoint of the
   * round trip), in the destination db mapDb gives under the destination name rename gives (keyRenames); the keys
   * are forgotten.
   */
  async writes(mapDb: (db: number) => number, rename: (db: number, key: Buffer) => Buffer = (_db, key) => key): Promise<Array<DbCommand & { key: Buffer }>> {
    const taken = [...this.byDb].map(([db, keys]) => ({ db, keys: [...keys.values()] }));
    this.byDb.clear();
    this.count = 0;
    const out: Array<DbCommand & { key: Buffer }> = [];
    for (const { db, keys } of taken) {
      const before = Date.now();
      const pttls = await this.readPttls(db, keys);
      const readAt = (before + Date.now()) / 2;
      keys.forEach((key, i) => {
        if (pttls[i] <= 0) return;
        const named = rename(db, key);
        out.push({ db: mapDb(db), key: named, command: encodeCommand(['PEXPIREAT', named, Math.round(readAt + pttls[i])]) });
      });
    }
    return out;
  }
}
