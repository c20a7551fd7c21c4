// `redis-sync logs TASK [-f] [-n N] [--level L] [--count N] [--state-dir DIR]`: the daemon's pino JSON lines, for humans.
import { parseArgs } from 'node:util';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { defaultStateDir, taskPaths } from '../state/files';
import { UsageError } from './spec-file';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_BY_NAME: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, warning: 40, error: 50, fatal: 60 };
const LEVEL_COLOR: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has, shown in the line's head or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

function fieldValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object') {
    const e = v as { message?: unknown; type?: unknown };
    if (typeof e.message === 'string') return JSON.stringify(e.message); // a serialized Error: its message is what helps
    return JSON.stringify(v);
  }
  return String(v);
}

export interface LogLine { level: number; text: string }

/** One pino line as "2026-11-25 07:55:32.123 INFO  message  key=value ..."; a line that is not JSON as it is. */
export function formatLogLine(line: string, color = false): LogLine {
  let rec: Record<string, unknown>;
  try {
    const parsed = JSON.parse(line) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { level: 30, text: line };
    rec = parsed as Record<string, unknown>;
  } catch {
    return { level: 30, text: line };
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const t = typeof rec.time === 'string' ? rec.time : typeof rec.time === 'number' ? new Date(rec.time).toISOString() : '';
  const time = t.replace('T', ' ').replace(/Z$/, '');
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const fields = Object.entries(rec).filter(([k]) => !HIDDEN.has(k)).map(([k, v]) => `${k}=${fieldValue(v)}`).join(' ');
  const head = color ? `\x1b[${LEVEL_COLOR[level] ?? '0'}m${name}\x1b[0m` : name;
  return { level, text: `${time} ${head} ${String(rec.msg ?? '')}${fields ? `  ${color ? `\x1b[90m${fields}\x1b[0m` : fields}` : ''}` };
}

/** The last n lines of a file, read backwards in chunks so a large log is not read whole. */
function tailLines(path: string, n: number): { lines: string[]; end: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let pos = size;
    let data = Buffer.alloc(0);
    const newlines = (b: Buffer): number => { let k = 0; for (const x of b) if (x === 0x0a) k++; return k; };
    while (pos > 0 && newlines(data) <= n) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      data = Buffer.concat([buf, data]);
    }
    const lastNl = data.lastIndexOf(0x0a);
    if (lastNl < 0) return { lines: [], end: pos };
    const lines = data.subarray(0, lastNl).toString('utf8').split('\n');
    // A chunk boundary may cut the first line: it is dropped unless the read reached the file's start.
    if (pos > 0) lines.shift();
    return { lines: lines.slice(Math.max(0, lines.length - n)), end: pos + lastNl + 1 };
  } finally {
    closeSync(fd);
  }
}

/** Complete lines between from and the file's end; a partial last line stays for the next read. */
function readFrom(path: string, from: number): { lines: string[]; next: number } {
  const size = statSync(path).size;
  if (size <= from) return { lines: [], next: size < from ? 0 : from }; // shorter: the log was truncated, start over
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl < 0) return { lines: [], next: from };
    return { lines: buf.subarray(0, lastNl).toString('utf8').split('\n'), next: from + lastNl + 1 };
  } finally {
    closeSync(fd);
  }
}

export async function logsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      follow: { type: 'boolean', short: 'f', default: false },
      lines: { type: 'string', short: 'n' },
      level: { type: 'string' },
      count: { type: 'string' },
      interval: { type: 'string' },
    },
  });
  const task = positionals[0];
  if (!task || positionals.length > 1) throw new UsageError('usage: redis-sync logs TASK [-f] [-n LINES] [--level info|warn|error] [--state-dir DIR]');
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const minLevel = values.level === undefined ? 0 : LEVEL_BY_NAME[values.level.toLowerCase()];
  if (minLevel === undefined) throw new UsageError(`--level must be one of trace, debug, info, warn, error, fatal, not "${values.level}"`);
  const lines = values.lines === undefined ? null : Number(values.lines);
  if (lines !== null && !(Number.isInteger(lines) && lines >= 0)) throw new UsageError(`-n takes a number of lines, not "${values.lines}"`);
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (!(count >= 1)) throw new UsageError(`--count must be a number of at least 1, not "${values.count}"`);
  const interval = values.interval === undefined ? 200 : Number(values.interval);
  if (!(interval >= 10)) throw new UsageError(`--interval is in milliseconds (at least 10), not "${values.interval}"`);
  const paths = taskPaths(stateDir, task);
  if (!existsSync(paths.dir)) throw new UsageError(`no task "${task}" in ${stateDir}: see "redis-sync list --state-dir ${stateDir}"`);
  if (!existsSync(paths.log) && !values.follow) throw new UsageError(`task "${task}" has no log yet (${paths.log}); add -f to wait for it`);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;

  let printed = 0;
  const print = (raw: string[]): void => {
    for (const l of raw) {
      if (!l.trim() || printed >= count) continue;
      const f = formatLogLine(l, color);
      if (f.level < minLevel) continue;
      process.stdout.write(f.text + '\n');
      printed++;
    }
  };

  let pos = 0;
  if (existsSync(paths.log)) {
    if (lines !== null) {
      const t = tailLines(paths.log, lines);
      print(t.lines);
      pos = t.end;
    } else {
      const r = readFrom(paths.log, 0);
      print(r.lines);
      pos = r.next;
    }
  }
  if (!values.follow) return 0;

  let stopped = false;
  let wake: (() => void) | null = null;
  const onSignal = (): void => { stopped = true; wake?.(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stopped && printed < count) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { wake = null; resolve(); }, interval);
        wake = () => { clearTimeout(t); wake = null; resolve(); };
      });
      if (!existsSync(paths.log)) { pos = 0; continue; }
      const r = readFrom(paths.log, pos);
      pos = r.next;
      print(r.lines);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return 0;
}
