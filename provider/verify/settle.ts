// Rechecking the keys a first, unguarded pass found different: each group is read again under WATCH (watched-read.ts)
// until the source held still while the destination was read. Keys the source kept changing are split into smaller
// groups and retried; after MAX_ROUNDS they are reported as unsettled (changing too fast to compare), never as a
// difference, so a live write load never shows up as one.
import { watchedRead, type KeyGroup, type WatchContext } from './watched-read';
import { keyDiffs, type KeyDiff } from './key-diff';
import type { KeyState } from './key-state';

export const MAX_ROUNDS = 6;

export interface Difference {
  group: KeyGroup;
  key: Buffer;
  diffs: KeyDiff[];
  source: KeyState;
  destination: KeyState;
  sourceOffset: number;
  destinationOffset: number | null;
}

export interface Unsettled {
  group: KeyGroup;
  key: Buffer;
  reason: string;
}

export interface SettleResult {
  differences: Difference[];
  unsettled: Unsettled[];
  /** Keys equal once the destination had caught up: they were in flight. */
  settled: number;
}

/** Halves, or single keys once few are left: isolates the keys that keep changing. */
function split(keys: Buffer[]): Buffer[][] {
  if (keys.length <= 4) return keys.map((k) => [k]);
  const mid = Math.ceil(keys.length / 2);
  return [keys.slice(0, mid), keys.slice(mid)];
}

export async function settle(ctx: WatchContext, group: KeyGroup, ttlToleranceMs: number): Promise<SettleResult> {
  const out: SettleResult = { differences: [], unsettled: [], settled: 0 };
  let pending: Buffer[][] = group.keys.length > 0 ? [group.keys] : [];
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    const next: Buffer[][] = [];
    for (const keys of pending) {
      const g = { ...group, keys };
      const r = await watchedRead(ctx, g);
      if (r.kind === 'stuck') {
        for (const key of keys) out.unsettled.push({ group, key, reason: r.reason });
        continue;
      }
      const differing: Buffer[] = [];
      keys.forEach((key, i) => {
        const diffs = keyDiffs(r.source[i], r.destination[i], ttlToleranceMs);
        if (diffs.length === 0) out.settled++;
        else if (r.stable) out.differences.push({ group, key, diffs, source: r.source[i], destination: r.destination[i], sourceOffset: r.sourceOffset, destinationOffset: r.destinationOffset });
        else differing.push(key);
      });
      if (differing.length > 0) next.push(...split(differing));
    }
    pending = next;
  }
  for (const keys of pending) for (const key of keys) out.unsettled.push({ group, key, reason: `changed on the source during each of ${MAX_ROUNDS} rechecks` });
  return out;
}
