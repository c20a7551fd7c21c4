// `redis-sync status [TASK...] [--watch [--count N] [--interval MS]] [--json] [--state-dir DIR]`
import { parseArgs } from 'node:util';
import { defaultStateDir } from '../state/files';
import { isEndState, type TaskStatus } from '../state/status';
import { fitLine, formatStatus, type Rates } from './format-status';
import { taskNames, viewTask, type TaskView } from './task-dir';
import { UsageError, loadSpecFile } from './spec-file';
import { readRemoteTask } from '../state/remote-task';
import { describeHolder } from '../state/lease';
import type { TaskSpec } from '../spec/types';

/**
 * The task as its destination shows it (--config): from any machine, whatever state dir the daemon has. Its pid is
 * the lease holder's, on whatever host that is.
 */
async function remoteView(spec: TaskSpec): Promise<TaskView & { where: string | null }> {
  const { status, holder } = await readRemoteTask(spec);
  const running = holder !== null;
  const state = status ? (running || isEndState(status.state) ? status.state : 'DaemonNotRunning') : running ? 'Starting' : 'DaemonNotRunning';
  return { name: spec.id ?? spec.name, status, pid: holder?.pid ?? null, state, where: holder ? describeHolder(holder) : null };
}

const WINDOW_MS = 5000;

interface Sample { t: number; startedAt: string | null; bytes: number; keys: number }

/** Full-sync rates over the last few seconds of snapshots, per node: what the bar's rate and ETA use while watching. */
export class RateMeter {
  private readonly samples = new Map<string, Sample[]>();

  observe(s: TaskStatus, now: number): Map<string, Rates> {
    const out = new Map<string, Rates>();
    for (const n of s.nodes) {
      const key = `${s.task}/${n.node}`;
      const list = this.samples.get(key)?.filter((x) => x.startedAt === n.fullSync.startedAt && now - x.t <= WINDOW_MS) ?? [];
      list.push({ t: now, startedAt: n.fullSync.startedAt, bytes: n.fullSync.bytesDone, keys: n.fullSync.keysDone });
      this.samples.set(key, list);
      const first = list[0];
      const dt = (now - first.t) / 1000;
      if (dt >= 0.4) out.set(n.node, { bytesPerSec: (n.fullSync.bytesDone - first.bytes) / dt, keysPerSec: (n.fullSync.keysDone - first.keys) / dt });
    }
    return out;
  }
}

function render(views: TaskView[], stateDir: string, json: boolean, meter: RateMeter | null, color: boolean): string {
  const now = Date.now();
  if (json) {
    const out = views.map((v) => ({ ...(v.status ?? { task: v.name }), state: v.state, daemonRunning: v.pid !== null }));
    return JSON.stringify(out.length === 1 ? out[0] : out, null, meter ? 0 : 2) + '\n';
  }
  return views.map((v) => {
    if (!v.status) return `task ${v.name}  ${v.state}  no status yet in ${stateDir}${v.pid ? ` (daemon pid ${v.pid} is starting)` : ''}\n`;
    const rates = meter?.observe(v.status, now);
    return formatStatus(v.status, now, { alive: v.pid !== null, state: v.state, rates, color });
  }).join('\n');
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', short: 'w', default: false },
      count: { type: 'string' },
      interval: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const spec = values.config === undefined ? null : loadSpecFile(values.config);
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (!(count >= 1) || (values.count !== undefined && !Number.isInteger(count))) throw new UsageError(`--count must be a whole number of at least 1, not "${values.count}"`);
  const interval = values.interval === undefined ? 500 : Number(values.interval);
  if (!(interval >= 50 && interval <= 3_600_000)) throw new UsageError(`--interval is in milliseconds, from 50 to 3600000, not "${values.interval}"`);
  if (values.count !== undefined && !values.watch) throw new UsageError('--count only makes sense with --watch');

  const names = (): string[] => (positionals.length ? positionals : taskNames(stateDir));
  if (spec && !values.watch) {
    const v = await remoteView(spec);
    if (values.json) {
      process.stdout.write(JSON.stringify({ ...(v.status ?? { task: spec.name }), state: v.state, daemonRunning: v.pid !== null, runningOn: v.where }, null, 2) + '\n');
      return 0;
    }
    const where = v.where ? `runs on ${v.where}` : 'no daemon holds its lease';
    process.stdout.write(`${v.status ? formatStatus(v.status, Date.now(), { alive: v.pid !== null, state: v.state, color: false }) : `task ${v.name}  ${v.state}  no status on the destination yet\n`}  (from the destination: ${where})\n`);
    return 0;
  }
  if (!values.watch) {
    const list = names();
    if (!list.length) throw new UsageError(`no task in ${stateDir}: give the task's --state-dir (or set REDIS_SYNC_STATE_DIR), or start one with "redis-sync run --config task.json"`);
    const views = list.map((n) => viewTask(stateDir, n));
    const missing = views.filter((v) => !v.status && v.pid === null);
    if (missing.length) {
      throw new UsageError(`task "${missing[0].name}" has no status in ${stateDir}: is the name right (see "redis-sync list --state-dir ${stateDir}")?`);
    }
    process.stdout.write(render(views, stateDir, values.json, null, false));
    return 0;
  }

  // --watch: redraw in place on a terminal, a new block each time otherwise (a pipe, a log file), until Ctrl-C or --count.
  const tty = process.stdout.isTTY === true && !values.json;
  const color = tty && !process.env.NO_COLOR;
  const meter = new RateMeter();
  let stopped = false;
  let wake: (() => void) | null = null;
  const onSignal = (): void => { stopped = true; wake?.(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (tty) process.stdout.write('\x1b[?25l\x1b[2J\x1b[H');
  try {
    for (let frame = 0; frame < count && !stopped; frame++) {
      const list = spec ? [spec.id ?? spec.name] : names();
      const views = spec ? [await remoteView(spec)] : list.map((n) => viewTask(stateDir, n));
      let body = list.length ? render(views, stateDir, values.json, meter, color) : `no task in ${stateDir} yet\n`;
      if (values.json) {
        process.stdout.write(body);
      } else if (tty) {
        const header = `redis-sync status  ${new Date().toISOString()}  every ${interval / 1000}s, Ctrl-C to quit\n\n`;
        const width = process.stdout.columns || 160;
        body = (header + body).split('\n').map((l) => fitLine(l, width)).join('\x1b[K\n');
        process.stdout.write(`\x1b[H${body}\x1b[J`);
      } else {
        process.stdout.write(`--- ${new Date().toISOString()}\n${body}\n`);
      }
      if (frame + 1 >= count) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { wake = null; resolve(); }, interval);
        wake = () => { clearTimeout(t); wake = null; resolve(); };
      });
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (tty) process.stdout.write('\x1b[?25h');
  }
  return 0;
}
