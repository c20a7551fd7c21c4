// The metrics endpoint of a running daemon, scraped during a full sync and the incremental sync after it: the text
// parses as the Prometheus exposition format (a strict parser below) and the numbers move as the sync does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startRedis } from '../harness/redis';
import { startDaemon, REPO_ROOT } from '../harness/daemon';
import { fillKeys, slowSource, taskSpec, until } from './helpers';
import { METRIC_NAMES } from '../../provider/metrics/task-metrics';
import { renderExposition } from '../../provider/metrics/exposition';
import { startMetricsServer } from '../../provider/metrics/server';
import { newNodeStatus, type TaskStatus } from '../../provider/state/status';
import type { Logger } from '../../provider/state/logger';

// ---- a strict parser of the text format 0.0.4 ----

interface ParsedSample { name: string; labels: Record<string, string>; value: number }
interface ParsedFamily { name: string; type: string; help: string | null; samples: ParsedSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(v: string, where: string): number {
  if (!FLOAT.test(v)) throw new Error(`${where}: "${v}" is not a valid sample value`);
  if (v.endsWith('Inf')) return v.startsWith('-') ? -Infinity : Infinity;
  return v === 'NaN' ? NaN : Number(v);
}

function familyOf(name: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : null;
    const f = base ? families.get(base) : undefined;
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const enter = (name: string): void => {
    if (current !== name) {
      if (closed.has(name)) throw new Error(`the samples of ${name} are not together`);
      if (current) closed.add(current);
      current = name;
    }
  };
  text.slice(0, -1).split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // another comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: invalid metric name "${name}"`);
      enter(name);
      const f = families.get(name) ?? { name, type: 'untyped', help: null, samples: [] };
      families.set(name, f);
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: invalid escape in HELP`);
        f.help = rest;
      } else {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type "${rest}"`);
        if (f.samples.length) throw new Error(`${where}: TYPE of ${name} after its samples`);
        if ((f as { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`);
        (f as { typed?: boolean }).typed = true;
        f.type = rest;
      }
      return;
    }
    let p = 0;
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new Error(`${where}: no metric name in "${line}"`);
    const name = nm[0];
    p = name.length;
    const labels: Record<string, string> = {};
    if (line[p] === '{') {
      p++;
      while (line[p] !== '}') {
        const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(p));
        if (!ln || !LABEL_NAME.test(ln[0])) throw new Error(`${where}: invalid label name at column ${p + 1}`);
        p += ln[0].length;
        if (line.slice(p, p + 2) !== '="') throw new Error(`${where}: expected =" after label ${ln[0]}`);
        p += 2;
        let value = '';
        for (;;) {
          const ch = line[p];
          if (ch === undefined) throw new Error(`${where}: unterminated label value`);
          if (ch === '"') { p++; break; }
          if (ch === '\\') {
            const next = line[p + 1];
            if (next === '\\') value += '\\';
            else if (next === '"') value += '"';
            else if (next === 'n') value += '\n';
            else throw new Error(`${where}: invalid escape \\${next} in a label value`);
            p += 2;
            continue;
          }
          value += ch;
          p++;
        }
        if (ln[0] in labels) throw new Error(`${where}: label ${ln[0]} twice`);
        labels[ln[0]] = value;
        if (line[p] === ',') p++;
        else if (line[p] !== '}') throw new Error(`${where}: expected , or } at column ${p + 1}`);
      }
      p++;
    }
    const rest = line.slice(p);
    const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!vm) throw new Error(`${where}: expected " value [timestamp]" after the labels, got "${rest}"`);
    const f = familyOf(name, families);
    if (!f || !(f as { typed?: boolean }).typed) throw new Error(`${where}: sample of ${name} without a TYPE line before it`);
    enter(f.name);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    f.samples.push({ name, labels, value: parseValue(vm[1], where) });
  });
  return families;
}

function one(fams: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  const f = fams.get(name);
  assert.ok(f, `metric ${name} is missing`);
  const s = f.samples.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.equal(s.length, 1, `${name}${JSON.stringify(labels)}: expected one sample, found ${s.length}`);
  return s[0].value;
}

async function scrape(port: number): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(await res.text());
}

test('the strict parser rejects what Prometheus rejects, and accepts escapes', () => {
  assert.throws(() => parsePrometheus('x 1\n'), /without a TYPE/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx{a="b} 1\n'), /unterminated/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx{1a="b"} 1\n'), /invalid label name/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx one\n'), /not a valid sample value/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a="1"} 2\n'), /not together/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx 1\nx 2\n'), /twice/);
  assert.throws(() => parsePrometheus('# TYPE x gauge\nx 1'), /newline/);
  assert.throws(() => parsePrometheus('# TYPE 1x gauge\n'), /invalid metric name/);
  const text = renderExposition([{ name: 'odd', type: 'gauge', help: 'back\\slash\nnewline', samples: [
    { labels: { node: 'a"b\\c\nd' }, value: NaN }, { labels: { node: 'x' }, value: Infinity }, { labels: { node: 'y' }, value: -1.5e-7 },
  ] }]);
  const f = parsePrometheus(text).get('odd')!;
  assert.equal(f.samples[0].labels.node, 'a"b\\c\nd');
  assert.ok(Number.isNaN(f.samples[0].value));
  assert.equal(f.samples[1].value, Infinity);
  assert.equal(f.samples[2].value, -1.5e-7);
});

test('metrics endpoint: valid exposition format, counters and gauges move during full and incremental sync', async () => {
  const src = await slowSource(100);
  const dst = await startRedis();
  const port = await freePort();
  const spec = taskSpec('scraped', src, dst, { metrics: { port } });
  await fillKeys(src.client(), 30_000);
  const d = startDaemon(spec);
  try {
    const node = src.addr;
    const labels = { task: 'scraped', node };
    await d.waitFor((s) => s.nodes[0]?.fullSync.keysDone > 0, 30_000, 'the full sync to begin');
    // During the full sync: keys go up, the state is Initializing.
    const a = await until('a scrape', 10_000, () => scrape(port));
    assert.equal(one(a, 'redis_sync_full_sync_in_progress', labels), 1);
    assert.equal(one(a, 'redis_sync_state', { ...labels, state: 'Initializing' }), 1);
    assert.equal(one(a, 'redis_sync_state', { ...labels, state: 'Synchronizing' }), 0);
    assert.equal(one(a, 'redis_sync_up', labels), 1);
    assert.ok(one(a, 'redis_sync_full_sync_expected_keys', labels) >= 30_000);
    const keysA = one(a, 'redis_sync_full_sync_keys', labels);
    const bytesA = one(a, 'redis_sync_full_sync_received_bytes', labels);
    const b = await until('full-sync keys to move between two scrapes', 20_000, async () => {
      const x = await scrape(port);
      return one(x, 'redis_sync_full_sync_keys', labels) > keysA ? x : undefined;
    }, 300);
    assert.ok(one(b, 'redis_sync_full_sync_received_bytes', labels) > bytesA, 'received bytes move too');
    // Every metric the docs list is served, with a HELP and a TYPE.
    for (const name of METRIC_NAMES) {
      const f = b.get(name);
      assert.ok(f, `${name} is not served`);
      assert.ok(f.help && f.help.length > 10, `${name} has no HELP`);
      if (name.endsWith('_total')) assert.equal(f.type, 'counter', name);
      else assert.equal(f.type, 'gauge', name);
    }

    // Incremental sync: commands and offsets move.
    await d.waitForState('Synchronizing', 120_000);
    const c = await scrape(port);
    assert.equal(one(c, 'redis_sync_task_state', { task: 'scraped', state: 'Synchronizing' }), 1);
    assert.equal(one(c, 'redis_sync_full_sync_in_progress', labels), 0);
    assert.equal(one(c, 'redis_sync_full_sync_keys', labels), 30_000);
    const cmdsC = one(c, 'redis_sync_commands_applied_total', labels);
    const offC = one(c, 'redis_sync_applied_offset', labels);
    const p = src.client().pipeline();
    for (let i = 0; i < 500; i++) p.incr('counter');
    await p.exec();
    // Commands count when forwarded; the applied offset moves once the destination confirms them.
    const e = await until('500 commands counted and confirmed', 20_000, async () => {
      const x = await scrape(port);
      return one(x, 'redis_sync_commands_applied_total', labels) >= cmdsC + 500 && one(x, 'redis_sync_applied_offset', labels) > offC ? x : undefined;
    }, 200);
    assert.ok(one(e, 'redis_sync_received_offset', labels) >= one(e, 'redis_sync_applied_offset', labels));
    await until('a lag measurement', 10_000, async () => ((await scrape(port)).get('redis_sync_lag_milliseconds')?.samples.length ? true : undefined));
    assert.equal(one(e, 'redis_sync_reconnects_total', labels), 0);
    assert.equal(one(e, 'redis_sync_errors_total', labels), 0);

    // A lost destination: Retrying, up 0, then reconnects and errors are counted.
    await dst.kill('SIGKILL');
    const r = await until('Retrying in the metrics', 30_000, async () => {
      const x = await scrape(port);
      return one(x, 'redis_sync_state', { ...labels, state: 'Retrying' }) === 1 ? x : undefined;
    }, 200);
    assert.equal(one(r, 'redis_sync_up', labels), 0);
    assert.ok(one(r, 'redis_sync_reconnects_total', labels) >= 1);
    assert.ok(one(r, 'redis_sync_errors_total', labels) >= 1);
    assert.ok(one(r, 'redis_sync_task_errors_total', { task: 'scraped' }) >= 1);
    await dst.restart();
    await d.waitForState('Synchronizing', 120_000);

    // Only /metrics is served; HEAD has no body.
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.equal(missing.status, 404);
    const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  } finally {
    await d.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
  // The endpoint goes away with the daemon.
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) }));
});

test('a metrics port already in use is logged with what to do, and the server is not started', async () => {
  const now = new Date().toISOString();
  const status: TaskStatus = { task: 'busy', state: 'Synchronizing', pid: 1, startedAt: now, updatedAt: now, nodes: [newNodeStatus('h:1')], lastError: null, prechecks: [] };
  const logged: string[] = [];
  const log = { error: (_o: unknown, msg: string) => logged.push(msg), info: () => undefined, warn: () => undefined } as unknown as Logger;
  const first = await startMetricsServer(() => status, await freePort(), log);
  assert.ok(first);
  try {
    const second = await startMetricsServer(() => status, first.port, log);
    assert.equal(second, null);
    assert.match(logged.join('\n'), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port} \\(EADDRINUSE\\).*Choose a free metrics\\.port`));
    const text = await (await fetch(`http://127.0.0.1:${first.port}/metrics`)).text();
    assert.match(text, /^redis_sync_up\{task="busy",node="h:1"\} 1$/m);
  } finally {
    await first.close();
  }
});

test('docs/metrics.md documents every metric name', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  for (const name of METRIC_NAMES) assert.ok(doc.includes(`\`${name}\``), `docs/metrics.md does not document ${name}`);
});
