// The human view of a task's status: what `redis-sync status` prints, once or redrawn by --watch.
import type { FullSyncProgress, NodeStatus, TaskStatus } from '../state/status';
import { age, duration } from './task-dir';

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function count(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

export function progressBar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(f * 100).toFixed(1).padStart(5)}%`;
}

/** Rates measured by a watcher between two snapshots; without them the average since the full sync began is used. */
export interface Rates {
  bytesPerSec: number;
  keysPerSec: number;
}

export interface FormatOptions {
  /** Whether the daemon process is alive; null when unknown. */
  alive?: boolean | null;
  /** The state to show instead of the published one (DaemonNotRunning). */
  state?: string;
  /** Per node (host:port): rates over the watcher's last seconds. */
  rates?: Map<string, Rates>;
  color?: boolean;
}

/** A running daemon rewrites its status every 250 ms: older than this, something is wrong. */
const STALE_MS = 5000;

const STATE_COLOR: Record<string, string> = {
  Synchronizing: '32', Initializing: '36', Prechecking: '36', Retrying: '33', Failed: '31', Stopped: '90', DaemonNotRunning: '31',
};

function paint(text: string, code: string | undefined, on: boolean | undefined): string {
  return on && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Progress of one node's full sync: by bytes when the RDB size is known, else by keys against RESIZEDB's count. */
export function fullSyncLine(p: FullSyncProgress, now: number, rates?: Rates): string | null {
  if (!p.startedAt) return null;
  const end = p.finishedAt ? Date.parse(p.finishedAt) : now;
  const elapsedMs = Math.max(1, end - Date.parse(p.startedAt));
  const avgBytes = p.bytesDone / (elapsedMs / 1000);
  const avgKeys = p.keysDone / (elapsedMs / 1000);
  const byteRate = rates && !p.finishedAt ? rates.bytesPerSec : avgBytes;
  const keyRate = rates && !p.finishedAt ? rates.keysPerSec : avgKeys;
  const keys = p.keysExpected ? `${count(p.keysDone)}/${count(p.keysExpected)} keys` : `${count(p.keysDone)} keys`;
  const size = p.bytesTotal ? `${bytes(p.bytesDone)}/${bytes(p.bytesTotal)}` : bytes(p.bytesDone);
  if (p.finishedAt) {
    return `full sync  ${progressBar(1)}  ${keys}, ${size} in ${duration(elapsedMs)} (${bytes(avgBytes)}/s), done ${age(p.finishedAt, now)}`;
  }
  let fraction: number | null = null;
  let eta: number | null = null;
  if (p.bytesTotal) {
    fraction = p.bytesDone / p.bytesTotal;
    if (byteRate > 0) eta = (p.bytesTotal - p.bytesDone) / byteRate;
  } else if (p.keysExpected) {
    fraction = p.keysDone / p.keysExpected;
    if (keyRate > 0) eta = Math.max(0, p.keysExpected - p.keysDone) / keyRate;
  }
  const bar = fraction === null ? `[${'?'.repeat(30)}]   ?.?%` : progressBar(fraction);
  const rate = `${bytes(byteRate)}/s, ${count(keyRate)} keys/s`;
  const etaText = eta === null ? (fraction === null ? 'size unknown (diskless)' : 'eta -') : `eta ${duration(eta * 1000)}`;
  return `full sync  ${bar}  ${keys}, ${size}  ${rate}  ${etaText}  (running ${duration(elapsedMs)})`;
}

function lagLine(n: NodeStatus): string {
  const p = n.lagPercentiles;
  const last = n.lagMs === null ? '-' : `${n.lagMs} ms`;
  if (!p || !p.samples) return `lag        ${last}${n.state === 'Synchronizing' ? ' (waiting for the first heartbeat)' : ''}`;
  return `lag        ${last}  p50 ${p.p50} ms  p99 ${p.p99} ms  max ${p.max} ms  (${p.samples} heartbeat${p.samples === 1 ? '' : 's'})`;
}

function errorLine(prefix: string, e: NonNullable<TaskStatus['lastError']>, now: number): string {
  const where = [e.node ? `node ${e.node}` : '', e.offset !== undefined ? `offset ${e.offset}` : '', e.command ? `command ${e.command}` : '']
    .filter(Boolean).join(', ');
  return `${prefix}${e.message}${where ? ` [${where}]` : ''} (${age(e.at, now)})`;
}

export function formatStatus(s: TaskStatus, now: number, opts: FormatOptions = {}): string {
  const c = opts.color;
  const state = opts.state ?? s.state;
  const lines: string[] = [];
  const daemon = opts.alive === undefined || opts.alive === null ? `pid ${s.pid}` : opts.alive ? `pid ${s.pid} running` : `pid ${s.pid} not running`;
  lines.push(`${paint(`task ${s.task}`, '1', c)}  ${paint(state, STATE_COLOR[state], c)}  ${daemon}, started ${age(s.startedAt, now)}, status updated ${age(s.updatedAt, now)}`);
  if (state === 'DaemonNotRunning') {
    lines.push(`  the daemon is gone (last published state ${s.state}); "pulumi up" or "redis-sync run --config task.json" resumes it from its checkpoint`);
  } else if (state === 'Failed') {
    lines.push(`  the task stopped on the error below: fix its cause (docs/troubleshooting.md; history: redis-sync logs ${s.task}), then "pulumi up" or "redis-sync run" resumes from the checkpoint`);
  } else if (state === 'Loaded') {
    lines.push('  the RDB file is loaded and no stream follows it: the task has ended (redis-sync verify compares the destination with the file)');
  } else if (opts.alive && state !== 'Stopped' && now - Date.parse(s.updatedAt) > STALE_MS) {
    lines.push(paint(`  the status was last written ${age(s.updatedAt, now)}, though the daemon rewrites it every 250 ms: the daemon may be stuck (see redis-sync logs ${s.task})`, '33', c));
  }
  const copyingNodes = s.nodes.filter((n) => n.fullSync.startedAt && !n.fullSync.finishedAt);
  if (s.nodes.length > 1 && copyingNodes.length) {
    // A cluster source: one line for the whole copy, by keys (each master's RDB is a part of the dataset).
    const done = s.nodes.reduce((a, n) => a + n.fullSync.keysDone, 0);
    const expected = s.nodes.every((n) => n.fullSync.keysExpected !== null) ? s.nodes.reduce((a, n) => a + (n.fullSync.keysExpected ?? 0), 0) : null;
    lines.push(`  all masters  ${expected ? `${progressBar(done / expected)}  ${count(done)}/${count(expected)} keys` : `${count(done)} keys`}, ` +
      `${copyingNodes.length} of ${s.nodes.length} masters copying`);
  }
  for (const n of s.nodes) {
    const sync = n.lastSync === 'continue' ? 'last sync +CONTINUE (partial resync)' : n.lastSync === 'full' ? 'last sync full' : 'no sync yet';
    const retry = n.retryingSince ? `, retrying since ${age(n.retryingSince, now)}` : '';
    lines.push(`  source ${n.node}  ${paint(n.state, STATE_COLOR[n.state], c)}  ${sync}${retry}`);
    const copying = n.fullSync.startedAt !== null && n.fullSync.finishedAt === null;
    const behind = copying ? 0 : Math.max(0, n.receivedOffset - n.appliedOffset);
    lines.push(copying
      ? `    offsets    snapshot at offset ${n.receivedOffset} (writes after it follow the full sync)  replid ${n.replid ?? '-'}`
      : `    offsets    applied ${n.appliedOffset}  received ${n.receivedOffset}${behind ? `  (${bytes(behind)} in flight)` : ''}  replid ${n.replid ?? '-'}`);
    lines.push(`    ${lagLine(n)}`);
    lines.push(`    commands   ${n.commandsApplied} applied  reconnects ${n.reconnects}`);
    const fs = fullSyncLine(n.fullSync, now, opts.rates?.get(n.node));
    if (fs) lines.push(`    ${fs}`);
    if (n.lastError) lines.push(paint(errorLine('    last error ', n.lastError, now), '31', c));
  }
  if (s.lastError && !s.nodes.some((n) => n.lastError?.message === s.lastError!.message && n.lastError?.at === s.lastError!.at)) {
    lines.push(paint(errorLine('  last error ', s.lastError, now), '31', c));
  }
  const v = s.lastVerify;
  if (v) {
    const what = v.error ? `could not run: ${v.error}` : v.consistent ? `consistent, ${v.keysCompared} keys compared` : `${v.differences} differences in ${v.keysCompared} keys (first: db${v.firstDifferences[0]?.db} ${JSON.stringify(v.firstDifferences[0]?.key)} ${v.firstDifferences[0]?.problem})`;
    lines.push(paint(`  verify     ${what}, ${age(v.at, now)}`, v.consistent && !v.error ? '32' : '31', c));
  }
  const counts = new Map<string, number>();
  for (const p of s.prechecks) counts.set(p.result, (counts.get(p.result) ?? 0) + 1);
  if (s.prechecks.length) {
    lines.push(`  prechecks  ${[...counts].map(([r, k]) => `${k} ${r === 'warning' && k > 1 ? 'warnings' : r}`).join(', ')}`);
    // The same check on several nodes (a cluster) is one line: the first node's message, the other nodes named.
    const groups = new Map<string, typeof s.prechecks>();
    for (const p of s.prechecks.filter((x) => x.result !== 'passed')) {
      const key = `${p.result} ${p.id}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const [key, items] of groups) {
      const others = items.slice(1).map((p) => p.node).filter((n): n is string => !!n);
      lines.push(`    ${key}: ${items[0].message}${others.length ? ` (also on ${others.join(', ')})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Cuts a line to `width` visible characters (escape sequences do not count), so a redrawn view never wraps. */
export function fitLine(line: string, width: number): string {
  const ansi = /^\x1b\[[0-9;?]*[A-Za-z]/;
  if (line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length <= width) return line;
  let out = '';
  let visible = 0;
  for (let i = 0; i < line.length && visible < width - 1;) {
    const m = ansi.exec(line.slice(i));
    if (m) { out += m[0]; i += m[0].length; continue; }
    out += line[i++];
    visible++;
  }
  return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
}
