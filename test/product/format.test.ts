// The human views without servers: the status block (progress by bytes or by keys, rate, ETA, lag percentiles, errors),
// the log line format, and the metrics text for a status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLine, formatStatus, fullSyncLine, progressBar } from '../../provider/cli/format-status';
import { formatLogLine } from '../../provider/cli/logs-command';
import { RateMeter } from '../../provider/cli/status-command';
import { newNodeStatus, type TaskStatus, type NodeStatus } from '../../provider/state/status';
import { ErrorCounter, taskFamilies } from '../../provider/metrics/task-metrics';

const T0 = Date.parse('2026-11-25T08:00:00.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

function status(node: Partial<NodeStatus>, extra: Partial<TaskStatus> = {}): TaskStatus {
  return {
    task: 't', state: node.state ?? 'Initializing', pid: 4242, startedAt: iso(0), updatedAt: iso(9_900),
    nodes: [{ ...newNodeStatus('10.0.0.5:6379'), ...node }], lastError: null, prechecks: [], ...extra,
  };
}

test('progress by bytes when the RDB size is known: bar, rate, ETA', () => {
  const s = status({ fullSync: { bytesDone: 25 * 1024 * 1024, bytesTotal: 100 * 1024 * 1024, keysDone: 250_000, keysExpected: 1_000_000, startedAt: iso(0), finishedAt: null } });
  const out = formatStatus(s, T0 + 10_000);
  assert.match(out, /full sync {2}\[#{7}-{23}\] {2}25\.0% {2}250\.0k\/1\.00M keys, 25\.0 MiB\/100\.0 MiB {2}2\.5 MiB\/s, 25\.0k keys\/s {2}eta 30s {2}\(running 10s\)/);
});

test('progress by keys against RESIZEDB when the transfer is diskless', () => {
  const s = status({ fullSync: { bytesDone: 5000, bytesTotal: null, keysDone: 300, keysExpected: 1200, startedAt: iso(0), finishedAt: null } });
  const out = formatStatus(s, T0 + 3000);
  assert.match(out, /25\.0% {2}300\/1200 keys, 4\.9 KiB .* 100 keys\/s {2}eta 9\.0s/);
  // Neither size nor key count known: no made-up percentage.
  const unknown = fullSyncLine({ bytesDone: 10, bytesTotal: null, keysDone: 3, keysExpected: null, startedAt: iso(0), finishedAt: null }, T0 + 1000)!;
  assert.match(unknown, /\?\.\?% .* size unknown \(diskless\)/);
  // A watcher's recent rate wins over the average.
  const withRate = fullSyncLine({ bytesDone: 5000, bytesTotal: null, keysDone: 300, keysExpected: 1200, startedAt: iso(0), finishedAt: null }, T0 + 3000, { bytesPerSec: 0, keysPerSec: 450 })!;
  assert.match(withRate, /450 keys\/s {2}eta 2\.0s/);
});

test('a finished full sync, offsets, lag percentiles, errors and prechecks', () => {
  const s = status({
    state: 'Synchronizing', lastSync: 'full', appliedOffset: 1000, receivedOffset: 1500, replid: 'a'.repeat(40), lagMs: 12,
    lagPercentiles: { p50: 8, p99: 40, max: 55, samples: 900 }, commandsApplied: 77, reconnects: 2,
    fullSync: { bytesDone: 2048, bytesTotal: 2048, keysDone: 10, keysExpected: 10, startedAt: iso(0), finishedAt: iso(2000) },
    lastError: { message: 'connection to destination 10.0.1.9:6379 lost', at: iso(5000), node: '10.0.1.9:6379' },
  }, { state: 'Synchronizing', prechecks: [{ id: 'source-repl-timeout', result: 'warning', message: 'raise it' }, { id: 'source-version', result: 'passed', message: 'ok' }] });
  const out = formatStatus(s, T0 + 10_000, { alive: true });
  assert.match(out, /^task t {2}Synchronizing {2}pid 4242 running, started 10s ago, status updated 0\.1s ago$/m);
  assert.match(out, /offsets {4}applied 1000 {2}received 1500 {2}\(500 B in flight\)/);
  assert.match(out, /lag {8}12 ms {2}p50 8 ms {2}p99 40 ms {2}max 55 ms {2}\(900 heartbeats\)/);
  assert.match(out, /commands {3}77 applied {2}reconnects 2/);
  assert.match(out, /full sync {2}\[#{30}\] 100\.0% {2}10\/10 keys, 2\.0 KiB\/2\.0 KiB in 2\.0s .* done 8\.0s ago/);
  assert.match(out, /last error connection to destination 10\.0\.1\.9:6379 lost \[node 10\.0\.1\.9:6379\] \(5\.0s ago\)/);
  assert.match(out, /prechecks {2}1 warning, 1 passed\n {4}warning source-repl-timeout: raise it/);
  assert.ok(!out.includes('\x1b'), 'no colour unless asked');
  assert.match(formatStatus(s, T0 + 10_000, { color: true }), /\x1b\[32mSynchronizing\x1b\[0m/);
  assert.equal(progressBar(0.5, 10), '[#####-----]  50.0%');
});

test('fitLine: a redrawn view never wraps, and colours do not count as width', () => {
  assert.equal(fitLine('abcdef', 6), 'abcdef');
  assert.equal(fitLine('abcdefg', 6), 'abcde…');
  assert.equal(fitLine('\x1b[31mabcdefg\x1b[0m', 6), '\x1b[31mabcde…\x1b[0m');
  assert.equal(fitLine('\x1b[31mabc\x1b[0m', 3), '\x1b[31mabc\x1b[0m');
});

test('during a full sync the offsets line names the snapshot offset, not a backlog in flight', () => {
  const s = status({ receivedOffset: 9000, appliedOffset: 0, fullSync: { bytesDone: 1, bytesTotal: 10, keysDone: 1, keysExpected: 10, startedAt: iso(0), finishedAt: null } });
  const out = formatStatus(s, T0 + 1000);
  assert.match(out, /offsets {4}snapshot at offset 9000/);
  assert.ok(!out.includes('in flight'));
});

test('a gone daemon is shown as DaemonNotRunning with what to do', () => {
  const out = formatStatus(status({ state: 'Synchronizing' }, { state: 'Synchronizing' }), T0 + 60_000, { alive: false, state: 'DaemonNotRunning' });
  assert.match(out, /task t {2}DaemonNotRunning {2}pid 4242 not running/);
  assert.match(out, /the daemon is gone \(last published state Synchronizing\); "pulumi up" or "redis-sync run --config task\.json" resumes it/);
});

test('a failed task says what to do next; a status that stops moving is called out', () => {
  const failed = formatStatus(status({ state: 'Failed' }, { state: 'Failed', lastError: { message: 'boom', at: iso(1000) } }), T0 + 10_000, { alive: false });
  assert.match(failed, /the task stopped on the error below: fix its cause \(docs\/troubleshooting\.md; history: redis-sync logs t\), then "pulumi up" or "redis-sync run" resumes/);
  assert.match(failed, /last error boom \(9\.0s ago\)/);
  const stale = formatStatus(status({ state: 'Synchronizing' }, { state: 'Synchronizing', updatedAt: iso(0) }), T0 + 30_000, { alive: true });
  assert.match(stale, /the status was last written 30s ago, though .*the daemon may be stuck/);
  const fresh = formatStatus(status({ state: 'Synchronizing' }, { state: 'Synchronizing', updatedAt: iso(29_900) }), T0 + 30_000, { alive: true });
  assert.ok(!fresh.includes('stuck'));
});

test('a cluster source: one block per master, a total line while copying, one metrics series per master', () => {
  const fs = (done: number, finished: boolean) => ({ bytesDone: 0, bytesTotal: null, keysDone: done, keysExpected: 100, startedAt: iso(0), finishedAt: finished ? iso(500) : null });
  const s: TaskStatus = {
    ...status({}), nodes: [
      { ...newNodeStatus('10.0.0.1:7000'), fullSync: fs(100, true), state: 'Synchronizing' },
      { ...newNodeStatus('10.0.0.2:7000'), fullSync: fs(50, false) },
      { ...newNodeStatus('10.0.0.3:7000'), fullSync: fs(0, false) },
    ],
  };
  s.prechecks = ['10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'].map((node) => ({ id: 'source-repl-timeout', result: 'warning' as const, message: `repl-timeout is 60 s on ${node}`, node }));
  const out = formatStatus(s, T0 + 1000);
  assert.match(out, /prechecks {2}3 warnings\n {4}warning source-repl-timeout: repl-timeout is 60 s on 10\.0\.0\.1:7000 \(also on 10\.0\.0\.2:7000, 10\.0\.0\.3:7000\)\n/);
  assert.match(out, /all masters {2}\[#{15}-{15}\] {2}50\.0% {2}150\/300 keys, 2 of 3 masters copying/);
  assert.equal(out.match(/^ {2}source 10\.0\.0\.\d:7000/gm)?.length, 3);
  const up = taskFamilies(s, new ErrorCounter()).find((f) => f.name === 'redis_sync_full_sync_keys')!;
  assert.deepEqual(up.samples.map((x) => [x.labels.node, x.value]), [['10.0.0.1:7000', 100], ['10.0.0.2:7000', 50], ['10.0.0.3:7000', 0]]);
});

test('RateMeter: the rate over the last seconds of a watch, reset by a new full sync', () => {
  const m = new RateMeter();
  const fs = (keys: number, startedAt = iso(0)) => ({ bytesDone: keys * 10, bytesTotal: null, keysDone: keys, keysExpected: 1000, startedAt, finishedAt: null });
  assert.equal(m.observe(status({ fullSync: fs(0) }), T0).size, 0);
  const r = m.observe(status({ fullSync: fs(200) }), T0 + 1000).get('10.0.0.5:6379')!;
  assert.equal(r.keysPerSec, 200);
  assert.equal(r.bytesPerSec, 2000);
  assert.equal(m.observe(status({ fullSync: fs(5, iso(5000)) }), T0 + 6000).size, 0, 'a new full sync starts a new window');
});

test('log lines: time, level, message and fields; errors show their message; other lines as they are', () => {
  const line = JSON.stringify({ level: 50, time: '2026-11-25T08:00:01.234Z', pid: 7, hostname: 'h', node: '10.0.0.5:6379', offset: 12, err: 'boom', msg: 'task failed (not retryable)' });
  assert.equal(formatLogLine(line).text, '2026-11-25 08:00:01.234 ERROR task failed (not retryable)  node=10.0.0.5:6379 offset=12 err=boom');
  const obj = JSON.stringify({ level: 30, time: '2026-11-25T08:00:01.234Z', err: { type: 'Error', message: 'two words', stack: '...' }, key: 'a b', n: null, msg: 'x' });
  assert.equal(formatLogLine(obj).text, '2026-11-25 08:00:01.234 INFO  x  err="two words" key="a b" n=null');
  assert.equal(formatLogLine('plain').text, 'plain');
  assert.equal(formatLogLine('[1,2]').text, '[1,2]');
  assert.equal(formatLogLine(line).level, 50);
});

test('metrics: errors are counted once per new last error; unknown values are left out', () => {
  const errors = new ErrorCounter();
  const s = status({ state: 'Retrying' });
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    taskFamilies(s, errors).find((f) => f.name === name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
  assert.equal(value('redis_sync_errors_total'), 0);
  s.nodes[0].lastError = { message: 'lost', at: iso(1) };
  s.lastError = { message: 'lost', at: iso(1) };
  assert.equal(value('redis_sync_errors_total'), 1);
  assert.equal(value('redis_sync_errors_total'), 1, 'the same error is not counted twice');
  s.nodes[0].lastError = { message: 'lost', at: iso(2) };
  assert.equal(value('redis_sync_errors_total'), 2);
  assert.equal(value('redis_sync_task_errors_total'), 1);
  assert.equal(value('redis_sync_up'), 0);
  assert.equal(value('redis_sync_state', { state: 'Retrying' }), 1);
  assert.equal(value('redis_sync_full_sync_size_bytes'), undefined, 'a diskless RDB has no size');
  assert.equal(value('redis_sync_lag_milliseconds'), undefined, 'no lag before the first heartbeat');
});
