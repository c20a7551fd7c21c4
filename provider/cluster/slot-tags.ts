// A hash tag for every slot: keys that must live in a given slot (a slot's checkpoint) carry `{tag}`.
import calculateSlot from 'cluster-key-slot';

let tags: string[] | null = null;

/** The shortest base-36 tag that hashes into each slot (found once: ~200,000 hashes, a few ms). */
export function slotTag(slot: number): string {
  if (!tags) {
    const found: string[] = new Array(16384);
    let left = 16384;
    for (let i = 0; left > 0 && i < 10_000_000; i++) {
      const tag = i.toString(36);
      const s = calculateSlot(tag);
      if (found[s] === undefined) {
        found[s] = tag;
        left--;
      }
    }
    tags = found;
  }
  return tags[slot];
}
