// The human view of a task's status.
import type { NodeStatus, TaskStatus } from '../state/status';

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function progressBar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(f * 100).toFixed(1).padStart(5)}%`;
}

function fullSyncLine(n: NodeStatus, now: number): string {
  const p = n.fullSync;
  if (!p.startedAt) return '';
  const elapsed = Math.max(0.001, ((p.finishedAt ? Date.parse(p.finishedAt) : now) - Date.parse(p.startedAt)) / 1000);
  const rate = p.bytesDone / elapsed;
  const total = p.bytesTotal;
  const fraction = total ? p.bytesDone / total : p.keysExpected ? p.keysDone / p.keysExpected : 0;
  const eta = !p.finishedAt && total && rate > 0 ? ` eta ${Math.ceil((total - p.bytesDone) / rate)}s` : '';
  const done = p.finishedAt ? ' done' : '';
  return `    full sync ${progressBar(p.finishedAt ? 1 : fraction)} ${p.keysDone} keys, ${bytes(p.bytesDone)}${total ? ` of ${bytes(total)}` : ''}, ${bytes(rate)}/s${eta}${done}\n`;
}

export function formatStatus(s: TaskStatus, now: number): string {
  let out = `task ${s.task}: ${s.state} (pid ${s.pid}, since ${s.startedAt}, updated ${s.updatedAt})\n`;
  for (const n of s.nodes) {
    out += `  source ${n.node}: ${n.state} replid ${n.replid ?? '-'} applied offset ${n.appliedOffset} received ${n.receivedOffset}` +
      ` lag ${n.lagMs === null ? '-' : `${n.lagMs} ms`} commands ${n.commandsApplied} reconnects ${n.reconnects}` +
      `${n.lastSync ? ` last sync ${n.lastSync === 'continue' ? '+CONTINUE (partial)' : 'full'}` : ''}\n`;
    out += fullSyncLine(n, now);
    if (n.lastError) out += `    last error at ${n.lastError.at}: ${n.lastError.message}\n`;
  }
  if (s.lastError) out += `  last error at ${s.lastError.at}: ${s.lastError.message}\n`;
  const failed = s.prechecks.filter((p) => p.result !== 'passed');
  for (const p of failed) out += `  precheck ${p.id}: ${p.result}: ${p.message}\n`;
  return out;
}
