// Relative expiries replayed while the source's clock is uncertain (a backlog written while no heartbeat was: the
// daemon was down) were made absolute with the last heartbeat, which can be off by the whole outage. Their keys are
// remembered, and once the stream has caught up (a fresh heartbeat) their TTLs are read back from the source and
// written again, so an outage neither lengthens nor shortens a TTL.

/** Keys remembered at most; beyond, the rest keep the heartbeat-based expiry (a warning says so). */
export const MAX_REPAIR_KEYS = 100_000;

export class TtlRepair {
  private readonly byDb = new Map<number, Map<string, Buffer>>();
  private count = 0;
  /** Keys that could not be remembered (over MAX_REPAIR_KEYS). */
  overflow = 0;

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

  /** The remembered keys per source db, forgetting them. */
  take(): Array<{ db: number; keys: Buffer[] }> {
    const out = [...this.byDb].map(([db, keys]) => ({ db, keys: [...keys.values()] }));
    this.byDb.clear();
    this.count = 0;
    return out;
  }
}
