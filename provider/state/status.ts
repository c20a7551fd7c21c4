// The status a daemon publishes in its state dir: what `redis-sync status` and `pulumi refresh` read.
/** Loaded: an RDB file source with no stream after it is in the destination; the daemon has ended. */
export type TaskState = 'Prechecking' | 'Initializing' | 'Synchronizing' | 'Retrying' | 'Failed' | 'Stopped' | 'Loaded';

/** States in which the daemon has ended (the task does not run). */
export function isEndState(state: TaskState | string): boolean {
  return state === 'Stopped' || state === 'Failed' || state === 'Loaded';
}

export interface ErrorInfo {
  message: string;
  at: string; // ISO time
  node?: string;
  offset?: number;
  command?: string;
}

export interface FullSyncProgress {
  bytesDone: number;
  bytesTotal: number | null; // null for a diskless transfer, whose size is unknown in advance
  keysDone: number;
  keysExpected: number | null; // from the RDB's RESIZEDB records or the source's INFO keyspace
  startedAt: string | null;
  finishedAt: string | null;
}

export interface NodeStatus {
  node: string; // "host:port" of the source master
  state: TaskState;
  replid: string | null;
  /** Replication offset the destination has confirmed (what is checkpointed and ACKed). */
  appliedOffset: number;
  /** Replication offset received from the source. */
  receivedOffset: number;
  lastSync: 'full' | 'continue' | null;
  fullSync: FullSyncProgress;
  lagMs: number | null;
  /** Over the last 1000 heartbeats. */
  lagPercentiles: { p50: number; p99: number; max: number; samples: number } | null;
  commandsApplied: number;
  reconnects: number;
  lastError: ErrorInfo | null;
  retryingSince: string | null;
}

export interface PrecheckItem {
  id: string;
  result: 'passed' | 'warning' | 'failed' | 'ignored';
  message: string;
  node?: string;
}

/** The last periodic verify (spec.verify): drift of the destination, as `pulumi refresh` and the metrics show it. */
export interface VerifyResult {
  at: string; // ISO time it finished
  durationMs: number;
  consistent: boolean;
  keysCompared: number;
  /** The share of the keys compared. */
  sampled: number | null;
  /** Keys that differ at a settled point (each counted once per kind of difference). */
  differences: number;
  /** Different in the first pass, equal once the destination applied the offset: writes in flight. */
  inFlight: number;
  unsettled: number;
  firstDifferences: Array<{ db: number; key: string; problem: string; detail: string }>;
  /** Why the verify could not run (a server unreachable, a command refused); null when it ran. */
  error: string | null;
}

export interface TaskStatus {
  task: string;
  /** The task id (state/task-keys.ts); absent in a status written before ids existed. */
  id?: string;
  /** The machine the daemon runs on, and its addresses (for allow-lists). */
  host?: string;
  addresses?: string[];
  state: TaskState;
  pid: number;
  startedAt: string;
  updatedAt: string;
  nodes: NodeStatus[];
  lastError: ErrorInfo | null;
  prechecks: PrecheckItem[];
  /** The last periodic verify; absent without spec.verify or before the first. */
  lastVerify?: VerifyResult | null;
}

/** The largest replication lag over the streams that measured one; null when none has (or no status). */
export function maxLagMs(status: TaskStatus | null | undefined): number | null {
  return (status?.nodes ?? []).reduce<number | null>((m, n) => (n.lagMs === null ? m : Math.max(m ?? 0, n.lagMs)), null);
}

export function emptyProgress(): FullSyncProgress {
  return { bytesDone: 0, bytesTotal: null, keysDone: 0, keysExpected: null, startedAt: null, finishedAt: null };
}

export function newNodeStatus(node: string): NodeStatus {
  return {
    node, state: 'Initializing', replid: null, appliedOffset: 0, receivedOffset: 0, lastSync: null,
    fullSync: emptyProgress(), lagMs: null, lagPercentiles: null, commandsApplied: 0, reconnects: 0, lastError: null, retryingSince: null,
  };
}

/** The task's state is the least advanced of its nodes' states (it is Synchronizing only when every stream is). */
export function overallState(nodes: NodeStatus[], fallback: TaskState): TaskState {
  const order: TaskState[] = ['Failed', 'Retrying', 'Prechecking', 'Initializing', 'Stopped', 'Synchronizing', 'Loaded'];
  for (const s of order) if (nodes.some((n) => n.state === s)) return s;
  return fallback;
}
