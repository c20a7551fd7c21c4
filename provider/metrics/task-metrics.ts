// The daemon's metrics, read from its live TaskStatus at each scrape (nothing is kept twice), plus error counters
// that count each new lastError the status shows. docs/metrics.md documents every name of METRICS.
import type { NodeStatus, TaskState, TaskStatus, VerifyResult } from '../state/status';
import type { Family, MetricType } from './exposition';

export const STATES: TaskState[] = ['Prechecking', 'Initializing', 'Synchronizing', 'Retrying', 'Failed', 'Stopped', 'Loaded'];

interface NodeMetric {
  name: string;
  type: MetricType;
  help: string;
  /** One sample per node, or none when the value is unknown (e.g. the RDB size of a diskless transfer). */
  value(n: NodeStatus): number | null;
}

/** Per source node (label node="host:port" of the master), labelled task and node. */
export const NODE_METRICS: NodeMetric[] = [
  { name: 'redis_sync_up', type: 'gauge', help: 'Whether the stream from this source master is connected and copying (state Initializing or Synchronizing): 1 or 0.',
    value: (n) => (n.state === 'Initializing' || n.state === 'Synchronizing' ? 1 : 0) },
  { name: 'redis_sync_full_sync_in_progress', type: 'gauge', help: 'Whether a full sync of this source master is running: 1 or 0.',
    value: (n) => (n.fullSync.startedAt && !n.fullSync.finishedAt ? 1 : 0) },
  { name: 'redis_sync_full_sync_keys', type: 'gauge', help: 'Keys copied by the current (or last) full sync.',
    value: (n) => n.fullSync.keysDone },
  { name: 'redis_sync_full_sync_expected_keys', type: 'gauge', help: 'Keys the current (or last) full sync expects, from the RDB\'s RESIZEDB records; absent while unknown.',
    value: (n) => n.fullSync.keysExpected },
  { name: 'redis_sync_full_sync_received_bytes', type: 'gauge', help: 'RDB bytes received by the current (or last) full sync.',
    value: (n) => n.fullSync.bytesDone },
  { name: 'redis_sync_full_sync_size_bytes', type: 'gauge', help: 'Size of the RDB of the current (or last) full sync; absent for a diskless transfer, whose size is unknown.',
    value: (n) => n.fullSync.bytesTotal },
  { name: 'redis_sync_commands_applied_total', type: 'counter', help: 'Commands of the replication stream forwarded to the destination since the daemon started.',
    value: (n) => n.commandsApplied },
  { name: 'redis_sync_applied_offset', type: 'gauge', help: 'Replication offset the destination has confirmed (what is checkpointed and acknowledged).',
    value: (n) => n.appliedOffset },
  { name: 'redis_sync_received_offset', type: 'gauge', help: 'Replication offset received from the source master.',
    value: (n) => n.receivedOffset },
  { name: 'redis_sync_lag_milliseconds', type: 'gauge', help: 'Replication lag measured by the last heartbeat that came back through the stream, in milliseconds; absent before the first.',
    value: (n) => n.lagMs },
  { name: 'redis_sync_lag_p50_milliseconds', type: 'gauge', help: 'Median lag over the last 1000 heartbeats, in milliseconds.',
    value: (n) => n.lagPercentiles?.p50 ?? null },
  { name: 'redis_sync_lag_p99_milliseconds', type: 'gauge', help: '99th percentile lag over the last 1000 heartbeats, in milliseconds.',
    value: (n) => n.lagPercentiles?.p99 ?? null },
  { name: 'redis_sync_lag_max_milliseconds', type: 'gauge', help: 'Largest lag over the last 1000 heartbeats, in milliseconds.',
    value: (n) => n.lagPercentiles?.max ?? null },
  { name: 'redis_sync_reconnects_total', type: 'counter', help: 'Times the daemon lost a connection and retried since it started.',
    value: (n) => n.reconnects },
];

export const ERRORS_METRIC = 'redis_sync_errors_total';
export const TASK_ERRORS_METRIC = 'redis_sync_task_errors_total';
export const STATE_METRIC = 'redis_sync_state';
export const TASK_STATE_METRIC = 'redis_sync_task_state';
export const START_METRIC = 'redis_sync_start_time_seconds';

/** The last periodic verify (spec.verify), per task; no sample before the first. */
const VERIFY_METRICS: Array<{ name: string; help: string; value: (v: VerifyResult) => number }> = [
  { name: 'redis_sync_verify_consistent', help: 'Whether the last periodic verify found the sampled keys equal on both sides: 1 or 0 (0 too when it could not run).',
    value: (v) => (v.consistent && v.error === null ? 1 : 0) },
  { name: 'redis_sync_verify_differences', help: 'Differences the last periodic verify found (keys changed on the destination behind the task\'s back).',
    value: (v) => v.differences },
  { name: 'redis_sync_verify_keys_compared', help: 'Keys the last periodic verify compared.',
    value: (v) => v.keysCompared },
  { name: 'redis_sync_verify_timestamp_seconds', help: 'When the last periodic verify finished, in seconds since the Unix epoch.',
    value: (v) => Math.floor(Date.parse(v.at) / 1000) },
];

/** Every metric name the endpoint serves, for the docs and their test. */
export const METRIC_NAMES: string[] = [
  ...NODE_METRICS.map((m) => m.name), ERRORS_METRIC, STATE_METRIC, TASK_STATE_METRIC, TASK_ERRORS_METRIC, START_METRIC,
  ...VERIFY_METRICS.map((m) => m.name),
];

/**
 * Counts errors as the status shows them: each new lastError (another time or message) of a node, and of the task.
 * observe() runs at every scrape and on a short timer, so that errors between two scrapes are counted too.
 */
export class ErrorCounter {
  private readonly lastSeen = new Map<string, string>();
  readonly perNode = new Map<string, number>();
  taskErrors = 0;

  observe(s: TaskStatus): void {
    for (const n of s.nodes) {
      if (!this.perNode.has(n.node)) this.perNode.set(n.node, 0);
      if (this.isNew(`node:${n.node}`, n.lastError)) this.perNode.set(n.node, this.perNode.get(n.node)! + 1);
    }
    if (this.isNew('task', s.lastError)) this.taskErrors++;
  }

  private isNew(key: string, e: TaskStatus['lastError']): boolean {
    if (!e) return false;
    const id = `${e.at}|${e.message}`;
    if (this.lastSeen.get(key) === id) return false;
    this.lastSeen.set(key, id);
    return true;
  }
}

export function taskFamilies(s: TaskStatus, errors: ErrorCounter): Family[] {
  errors.observe(s);
  // The id: unique per task (two stacks may name a task alike); a CLI task's id is its name unless set.
  const task = s.id ?? s.task;
  const families: Family[] = NODE_METRICS.map((m) => ({
    name: m.name, type: m.type, help: m.help,
    samples: s.nodes.flatMap((n) => {
      const v = m.value(n);
      return v === null ? [] : [{ labels: { task, node: n.node }, value: v }];
    }),
  }));
  families.push({
    name: ERRORS_METRIC, type: 'counter', help: 'Errors this source master\'s stream reported (each new last error in the status) since the daemon started.',
    samples: s.nodes.map((n) => ({ labels: { task, node: n.node }, value: errors.perNode.get(n.node) ?? 0 })),
  });
  families.push({
    name: STATE_METRIC, type: 'gauge', help: 'State of the stream from this source master: 1 for the current state, 0 for the others.',
    samples: s.nodes.flatMap((n) => STATES.map((st) => ({ labels: { task, node: n.node, state: st }, value: n.state === st ? 1 : 0 }))),
  });
  families.push({
    name: TASK_STATE_METRIC, type: 'gauge', help: 'State of the task (the least advanced of its streams): 1 for the current state, 0 for the others.',
    samples: STATES.map((st) => ({ labels: { task, state: st }, value: s.state === st ? 1 : 0 })),
  });
  families.push({
    name: TASK_ERRORS_METRIC, type: 'counter', help: 'Errors of the task as a whole (each new task-level last error: retries and the final failure) since the daemon started.',
    samples: [{ labels: { task }, value: errors.taskErrors }],
  });
  families.push({
    name: START_METRIC, type: 'gauge', help: 'When the daemon started, in seconds since the Unix epoch.',
    samples: [{ labels: { task }, value: Math.floor(Date.parse(s.startedAt) / 1000) }],
  });
  const v = s.lastVerify;
  for (const m of VERIFY_METRICS) families.push({ name: m.name, type: 'gauge', help: m.help, samples: v ? [{ labels: { task }, value: m.value(v) }] : [] });
  return families;
}
