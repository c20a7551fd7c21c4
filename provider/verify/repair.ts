// `verify --repair`: copies each differing key again from the source (DUMP, then RESTORE ... REPLACE with its
// remaining TTL, or DEL for a key the source lacks), fenced against the task's own writes:
//   1. WATCH the keys on the source, read its offset, DUMP and PTTL them;
//   2. wait until the destination applied that offset (every earlier write of these keys is there);
//   3. WATCH the keys on the destination;
//   4. an empty MULTI/EXEC on the source: it fails if a key changed since 1 (retry: the dump is stale);
//   5. MULTI, RESTORE/DEL, EXEC on the destination: it fails if the task wrote a key since 3 (retry).
// A write of these keys the task applies after 5 is newer than the dump (the source held still until 4), so it lands
// on top of the repaired value, as it would have on the task's own copy. Then every repaired key is rechecked.
import calculateSlot from 'cluster-key-slot';
import type { RespClient } from './resp-client';
import { asBuffer, asNumber, type Call } from './redis-calls';
import { watchKeys, unchangedSinceWatch, destinationAt, type KeyGroup, type WatchContext } from './watched-read';
import { settle, MAX_ROUNDS, type Difference } from './settle';
import type { RepairAction, RepairReport } from './report';
import { printableBytes } from '../writer/command-text';

interface Copied {
  done: Array<{ key: Buffer; action: RepairAction }>;
  retry: Buffer[];
  failed: Array<{ key: Buffer; reason: string }>;
}

export async function repairDifferences(ctx: WatchContext, differences: Difference[], ttlToleranceMs: number, maxListed: number): Promise<RepairReport> {
  const report: RepairReport = { repaired: 0, failed: 0, firstRepaired: [], firstFailures: [] };
  const groups = new Map<string, KeyGroup>();
  for (const d of differences) {
    const id = `${d.group.node}/${d.group.srcDb}/${d.group.dstDb}`;
    const g = groups.get(id) ?? groups.set(id, { ...d.group, keys: [] }).get(id)!;
    if (!g.keys.some((k) => k.equals(d.key))) g.keys.push(d.key);
  }
  const fail = (g: KeyGroup, key: Buffer, reason: string): void => {
    report.failed++;
    if (report.firstFailures.length < maxListed) report.firstFailures.push({ db: g.srcDb, key: printableBytes(key), reason });
  };
  await Promise.all([...groups.values()].map(async (g) => {
    const actions = new Map<Buffer, RepairAction>();
    let pending = g.keys;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
      const r = await copyGroup(ctx, { ...g, keys: pending });
      for (const d of r.done) actions.set(d.key, d.action);
      for (const f of r.failed) fail(g, f.key, f.reason);
      pending = r.retry;
    }
    for (const key of pending) fail(g, key, `changed on the source or by the task during each of ${MAX_ROUNDS} attempts`);
    const copied = [...actions.keys()];
    const after = await settle(ctx, { ...g, keys: copied }, ttlToleranceMs);
    for (const d of after.differences) fail(g, d.key, `still differs after repair: ${d.diffs.map((x) => x.detail).join('; ')}`);
    for (const u of after.unsettled) fail(g, u.key, `not rechecked after repair: ${u.reason}`);
    const bad = new Set([...after.differences.map((d) => d.key), ...after.unsettled.map((u) => u.key)]);
    for (const key of copied) {
      if (bad.has(key)) continue;
      report.repaired++;
      if (report.firstRepaired.length < maxListed) report.firstRepaired.push({ db: g.srcDb, key: printableBytes(key), action: actions.get(key)! });
    }
  }));
  return report;
}

/** The keys of one transaction on the destination: one node, and one slot on a cluster (no cross-slot MULTI). */
function destinationBatches(ctx: WatchContext, keys: readonly Buffer[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const id = `${ctx.destination.nodeFor(k)}${ctx.destination.isCluster ? `#${calculateSlot(k)}` : ''}`;
    (out.get(id) ?? out.set(id, []).get(id)!).push(i);
  });
  return out;
}

async function copyGroup(ctx: WatchContext, g: KeyGroup): Promise<Copied> {
  const out: Copied = { done: [], retry: [], failed: [] };
  const src = await ctx.source.dedicated(g.node, g.srcDb);
  const opened: RespClient[] = [];
  try {
    const offset = await watchKeys(src, g.keys);
    const readAt = Date.now();
    const replies = await src.pipeline(g.keys.flatMap((k): Call[] => [['DUMP', k], ['PTTL', k]]));
    const at = await destinationAt(ctx, g.node, offset);
    if ('stuck' in at) {
      out.failed.push(...g.keys.map((key) => ({ key, reason: at.stuck })));
      return out;
    }
    const named = g.keys.map((k) => ctx.destinationKey(g.srcDb, k));
    const batches = [...destinationBatches(ctx, named)];
    const conns = await Promise.all(batches.map(async ([id, idx]) => {
      const c = await ctx.destination.dedicated(id.split('#')[0], g.dstDb);
      opened.push(c);
      for (const r of await c.pipeline(idx.map((i): Call => ['WATCH', named[i]]))) if (r instanceof Error) throw r;
      return c;
    }));
    if (!(await unchangedSinceWatch(src))) {
      out.retry.push(...g.keys);
      return out;
    }
    const elapsed = Date.now() - readAt;
    await Promise.all(batches.map(async ([, idx], b) => {
      const writes: Array<{ call: Call; action: RepairAction }> = idx.map((i) => {
        const dump = replies[2 * i];
        const pttl = asNumber(replies[2 * i + 1]);
        const ttl = pttl > 0 ? pttl - elapsed : 0;
        // A key the source lacks, or one that has expired since it was read, goes on the destination too.
        if (dump === null || pttl === -2 || (pttl > 0 && ttl <= 0)) return { call: ['DEL', named[i]], action: 'deleted' };
        return { call: ['RESTORE', named[i], ttl, asBuffer(dump), 'REPLACE'], action: 'restored' };
      });
      const r = await conns[b].pipeline([['MULTI'], ...writes.map((w) => w.call), ['EXEC']]);
      const exec = r[r.length - 1];
      if (exec === null) return void out.retry.push(...idx.map((i) => g.keys[i]));
      if (exec instanceof Error || !Array.isArray(exec)) {
        const reason = exec instanceof Error ? exec.message : 'unexpected EXEC reply';
        return void out.failed.push(...idx.map((i) => ({ key: g.keys[i], reason })));
      }
      idx.forEach((i, j) => {
        const res = exec[j] ?? (r[1 + j] instanceof Error ? r[1 + j] : null);
        if (res instanceof Error) out.failed.push({ key: g.keys[i], reason: `${writes[j].call[0]}: ${res.message}` });
        else out.done.push({ key: g.keys[i], action: writes[j].action });
      });
    }));
    return out;
  } finally {
    src.close();
    for (const c of opened) c.close();
  }
}
