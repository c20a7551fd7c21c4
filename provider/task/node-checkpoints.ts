// Exactly-once into a cluster destination, the record: a node batch (node-batches.ts) sets its node's checkpoint key
// to `replid offset db writer ranges`, meaning "every command of this stream up to `offset` in a slot of `ranges` is
// applied" (db: the source db selected at offset, for a partial resync from there). A claim stays true for good: a slot that migrates takes its keys with it, and a failover that loses a
// write loses the claim written in the same script. Each attempt writes keys of its own (never lowering an older
// claim), so what a slot has applied after a crash is the highest offset any key of the stream's history claims for it.

export interface NodeCheckpoint {
  replid: string;
  offset: number;
  db: number;
  writer: string;
  /** Inclusive slot ranges. */
  ranges: Array<[number, number]>;
}

export function encodeRanges(ranges: Array<[number, number]>): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

function decodeRanges(text: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > 16383) return null;
    out.push([a, b]);
  }
  return out;
}

/** The suffix after `replid offset db`, the same for every batch of a key: the script rebuilds a value from it. */
export function claimSuffix(writer: string, ranges: Array<[number, number]>): string {
  return `${writer} ${encodeRanges(ranges)}`;
}

export function encodeNodeCheckpoint(cp: NodeCheckpoint): string {
  return `${cp.replid} ${cp.offset} ${cp.db} ${claimSuffix(cp.writer, cp.ranges)}`;
}

/** null: not a node checkpoint (absent, or a key claimed before its first batch: `none <writer>`). */
export function decodeNodeCheckpoint(text: string | null): NodeCheckpoint | null {
  const m = text ? /^([0-9a-f]{40}) (\d+) (-1|\d+) ([0-9a-f]+) ([0-9,-]+)$/.exec(text) : null;
  if (!m) return null;
  const ranges = decodeRanges(m[5]);
  return ranges ? { replid: m[1], offset: Number(m[2]), db: Number(m[3]), writer: m[4], ranges } : null;
}

/** What a key holds once claimed by `writer`: its claim unchanged, or `none <writer>` when it had none yet. */
export function claimedValue(text: string | null, writer: string): string {
  const cp = decodeNodeCheckpoint(text);
  return cp ? encodeNodeCheckpoint({ ...cp, writer }) : `none ${writer}`;
}

/** The slot ranges of each node index in an owner table (slot -> node index, -1: unowned). */
export function rangesByNode(owner: Int32Array): Map<number, Array<[number, number]>> {
  const out = new Map<number, Array<[number, number]>>();
  let start = 0;
  for (let s = 1; s <= 16384; s++) {
    if (s < 16384 && owner[s] === owner[start]) continue;
    const node = owner[start];
    if (node >= 0) {
      const list = out.get(node) ?? [];
      list.push([start, s - 1]);
      out.set(node, list);
    }
    start = s;
  }
  return out;
}

/** Per slot, the claim with the highest offset among those `keep` accepts (null: none claims the slot). */
function highestClaims(claims: NodeCheckpoint[], keep: (c: NodeCheckpoint) => boolean): Array<NodeCheckpoint | null> {
  const best = new Array<NodeCheckpoint | null>(16384).fill(null);
  for (const c of claims) {
    if (!keep(c)) continue;
    for (const [a, b] of c.ranges) for (let s = a; s <= b; s++) if (!best[s] || c.offset > best[s]!.offset) best[s] = c;
  }
  return best;
}

/**
 * Per slot, how far the stream is applied beyond its own checkpoint (from every node checkpoint of its history): a
 * restart skips a command its slot holds already. Filled only once a +CONTINUE proved which history the stream is in.
 */
export class AppliedSlots {
  private readonly offsets = new Float64Array(16384).fill(-1);
  private count = 0;

  constructor(private claims: NodeCheckpoint[]) {}

  /**
   * Where every slot has applied the stream of `replid` at least: the lowest of the slots' highest claims, with its db.
   * null when some slot has no claim of that history. A destination master that failed over may have lost writes it
   * had confirmed, and its claims with them: this position, not the checkpoint saved from confirmations, is safe then.
   */
  lowestOf(replid: string): { offset: number; db: number } | null {
    let low: NodeCheckpoint | null = null;
    for (const c of highestClaims(this.claims, (x) => x.replid === replid)) {
      if (!c) return null;
      if (!low || c.offset < low.offset) low = c;
    }
    return low && { offset: low.offset, db: low.db };
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /**
   * The stream continues at `offset` in `replids` (the one resumed from and the master's current one, which goes on
   * numbering offsets after a failover): claims of those histories past `offset` say what to skip.
   */
  continueAt(offset: number, replids: string[]): void {
    this.clear();
    highestClaims(this.claims, (c) => c.offset > offset && replids.includes(c.replid)).forEach((c, slot) => {
      if (!c) return;
      this.offsets[slot] = c.offset;
      this.count++;
    });
    this.claims = [];
  }

  /** A full sync rewrites every key: nothing of an earlier history is skipped. */
  clear(): void {
    this.offsets.fill(-1);
    this.count = 0;
  }

  /** Whether the command at `offset` in `slot` was applied before the crash. */
  applied(slot: number, offset: number): boolean {
    if (this.count === 0) return false;
    const a = this.offsets[slot];
    if (a < 0) return false;
    if (a >= offset) return true;
    this.offsets[slot] = -1;
    this.count--;
    return false;
  }
}
