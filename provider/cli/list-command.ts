// `redis-sync list [--state-dir DIR] [--json]`: one line per task of the state dir.
import { parseArgs } from 'node:util';
import { defaultStateDir } from '../state/files';
import { maxLagMs } from '../state/status';
import { taskNames, viewTask, age, type TaskView } from './task-dir';

function lag(v: TaskView): string {
  const ms = maxLagMs(v.status);
  return ms === null ? '-' : `${ms} ms`;
}

function progress(v: TaskView): string {
  const nodes = v.status?.nodes ?? [];
  const running = nodes.filter((n) => n.fullSync.startedAt && !n.fullSync.finishedAt);
  if (!running.length) return '';
  const done = running.reduce((s, n) => s + (n.fullSync.bytesTotal ? n.fullSync.bytesDone / n.fullSync.bytesTotal : n.fullSync.keysExpected ? n.fullSync.keysDone / n.fullSync.keysExpected : 0), 0);
  return `full sync ${((done / running.length) * 100).toFixed(1)}%`;
}

export function formatList(views: TaskView[], now: number): string {
  const rows = [['TASK', 'STATE', 'PID', 'DAEMON', 'LAG', 'UPDATED', 'NOTE']];
  for (const v of views) {
    const err = v.status?.lastError?.message;
    const note = progress(v) || (v.state === 'Failed' || v.state === 'Retrying' ? (err ?? '') : '');
    rows.push([
      v.name, v.state, String(v.pid ?? v.status?.pid ?? '-'), v.pid !== null ? 'running' : 'no', lag(v), age(v.status?.updatedAt, now),
      note.length > 70 ? `${note.slice(0, 69)}…` : note,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const views = taskNames(stateDir).map((n) => viewTask(stateDir, n));
  if (values.json) {
    process.stdout.write(JSON.stringify(views.map((v) => ({
      task: v.name, state: v.state, pid: v.pid ?? v.status?.pid ?? null, daemonRunning: v.pid !== null,
      lagMs: maxLagMs(v.status),
      updatedAt: v.status?.updatedAt ?? null, lastError: v.status?.lastError?.message ?? null,
    })), null, 2) + '\n');
    return 0;
  }
  if (!views.length) {
    process.stdout.write(`no tasks in ${stateDir} (give --state-dir DIR or set REDIS_SYNC_STATE_DIR to look elsewhere)\n`);
    return 0;
  }
  process.stdout.write(formatList(views, Date.now()));
  return 0;
}
