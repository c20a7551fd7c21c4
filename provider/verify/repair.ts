// `verify --repair`: copies each differing key again from the source (DUMP, then RESTORE ... REPLACE with its
// remaining TTL in the destination's dialect: a payload of a newer RDB format than the destination loads is written
// as ordinary commands, as the task itself does; or DEL for a key the source lacks), fenced against the task's own
// writes:
//   1. WATCH the keys on the source, read its offset, DUMP and PTTL them;
//   2. wait until the destination applied that offset (every earlier write of these keys is there);
//   3. WATCH the keys on the destination;
//   4. an empty MULTI/EXEC on the source: it fails if a key changed since 1 (retry: the dump is stale);
//   5. MULTI, RESTORE/DEL, EXEC on the destination: it fails if the task wrote a key since 3 (retry).
// A write of these keys the task applies after 5 is newer than the dump (the source held still until 4), so it lands
// on top of the repaired value, as it would have on the task's own copy. Then every repaired key is rechecked.
import calculateSlot from 'cluster-key-slot';
import type { RespClient } from './resp-client';
import { asBuffer, asNumber, type Call, type Reply } from './redis-calls';
import { watchKeys, unchangedSinceWatch, destinationAt, type KeyGroup, type WatchContext } from './watched-read';
import { settle, MAX_ROUNDS, type Difference } from './settle';
import type { RepairAction, RepairReport } from './report';
import { printableBytes } from '../writer/command-text';
import { dialectFor, type Dialect } from '../writer/dialect/dialect';
import { restoreRewrite } from '../writer/dialect/restore-rewrite';

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

interface KeyWrite { key: Buffer; calls: Call[]; action: RepairAction }

/**
 * What makes one destination key equal to the source's as read: DEL for a key the source lacks (or that expired since
 * it was read), else RESTORE ... REPLACE as the destination takes it (restore-rewrite.ts, the task's own translation);
 * a string says why the destination cannot hold it.
 */
function keyWrite(key: Buffer, dump: Reply, pttl: number, elapsedMs: number, dialect: Dialect): Omit<KeyWrite, 'key'> | string {
  const ttl = pttl > 0 ? pttl - elapsedMs : 0;
  if (dump === null || pttl === -2 || (pttl > 0 && ttl <= 0)) return { calls: [['DEL', key]], action: 'deleted' };
  const payload = asBuffer(dump);
  const rewrite = restoreRewrite([Buffer.from('RESTORE'), key, Buffer.from(String(ttl)), payload, Buffer.from('REPLACE')], dialect, Date.now());
  if (!rewrite) return { calls: [['RESTORE', key, ttl, payload, 'REPLACE']], action: 'restored' };
  if (rewrite.kind !== 'commands') return `the destination (${dialect.server.flavor} ${dialect.server.version}) has no equivalent: ${rewrite.what}`;
  return { calls: rewrite.commands.map(([name, ...args]): Call => [String(name), ...args]), action: 'restored' };
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
    const dialect = dialectFor(await ctx.destination.server());
    await Promise.all(batches.map(async ([, idx], b) => {
      const writes: KeyWrite[] = [];
      for (const i of idx) {
        const w = keyWrite(named[i], replies[2 * i], asNumber(replies[2 * i + 1]), elapsed, dialect);
        // A value with no form on the destination (a stream on Redis 4): named, the other keys still repaired.
        if (typeof w === 'string') out.failed.push({ key: g.keys[i], reason: w });
        else writes.push({ ...w, key: g.keys[i] });
      }
      const r = await conns[b].pipeline([['MULTI'], ...writes.flatMap((w) => w.calls), ['EXEC']]);
      const exec = r[r.length - 1];
      if (exec === null) return void out.retry.push(...writes.map((w) => w.key));
      if (exec instanceof Error || !Array.isArray(exec)) {
        const reason = exec instanceof Error ? exec.message : 'unexpected EXEC reply';
        return void out.failed.push(...writes.map((w) => ({ key: w.key, reason })));
      }
      let at = 0;
      for (const w of writes) {
        const failed = w.calls.findIndex((_, k) => (exec[at + k] ?? r[1 + at + k]) instanceof Error);
        if (failed >= 0) out.failed.push({ key: w.key, reason: `${w.calls[failed][0]}: ${((exec[at + failed] ?? r[1 + at + failed]) as Error).message}` });
        else out.done.push({ key: w.key, action: w.action });
        at += w.calls.length;
      }
    }));
    return out;
  } finally {
    src.close();
    for (const c of opened) c.close();
  }
}
