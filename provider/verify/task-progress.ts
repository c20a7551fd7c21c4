// How far the task's destination has got, as the task's daemon publishes it on the destination (its status key):
// the applied offset of each source stream. Verify waits on it so that a key is compared only once the destination
// has applied the source's offset at which the key was read: a write still in flight is lag, not a difference.
// The status is published about once a second; the stream's checkpoint key moves with every transaction of writes,
// so under a write load it answers sooner. The larger of both counts (same replication id).
import type { EndpointReader } from './endpoint-reader';
import type { TaskStatus } from '../state/status';
import { checkpointKey, statusKey, TASK_META_DB } from '../state/task-keys';
import { decodeCheckpoint } from '../task/tx-batch';
import { asBuffer } from './redis-calls';

export type Applied = { offset: number } | { stuck: string };

/** The applied offset and the task's state, or why there is none. */
type Reading = { offset: number; state: string } | { stuck: string };

/** States in which the task applies nothing more until it is started again. */
const NOT_RUNNING = new Set(['Stopped', 'Failed', 'Loaded']);

const POLL_MS = 50;

export interface TaskProgressOptions {
  taskId: string;
  /** The checkpoint key's stream id of a source master: "standalone", or the master's cluster node id. */
  streamOf: (node: string) => Promise<string>;
  standaloneSource: boolean;
  /** Where the task keeps its checkpoint keys on the destination (task-runner.ts: the first synchronized db's target). */
  checkpointDb: number;
}

export class TaskProgress {
  private readonly key: Buffer;
  private readonly streams = new Map<string, Promise<string>>();

  private constructor(private readonly destination: EndpointReader, private readonly o: TaskProgressOptions) {
    this.key = Buffer.from(statusKey(o.taskId));
  }

  /** Null when the destination holds no status of the task (it never ran there): nothing to wait on. */
  static async open(destination: EndpointReader, o: TaskProgressOptions): Promise<TaskProgress | null> {
    const p = new TaskProgress(destination, o);
    return (await p.status()) ? p : null;
  }

  /** The stream's checkpoint, or null when it holds no offset (none, a full sync in progress). */
  private async checkpoint(node: string): Promise<{ replid: string; offset: number } | null> {
    let stream = this.streams.get(node);
    if (!stream) this.streams.set(node, (stream = this.o.streamOf(node)));
    const key = Buffer.from(checkpointKey(this.o.taskId, await stream));
    const r = await (await this.destination.client(this.destination.nodeFor(key), this.o.checkpointDb)).call('GET', key);
    return r === null ? null : decodeCheckpoint(asBuffer(r).toString('latin1'));
  }

  async status(): Promise<TaskStatus | null> {
    const c = await this.destination.client(this.destination.nodeFor(this.key), TASK_META_DB);
    const r = await c.call('GET', this.key);
    return r === null ? null : (JSON.parse(asBuffer(r).toString('utf8')) as TaskStatus);
  }

  /** The destination's applied offset of the stream of source master `node`, or why it cannot be told. */
  async applied(node: string): Promise<Reading> {
    const st = await this.status();
    if (!st) return { stuck: 'the task has no status on the destination any more' };
    const n = this.o.standaloneSource ? st.nodes[0] : st.nodes.find((x) => x.node === node);
    if (!n) return { stuck: `the task's status has no stream of source master ${node}` };
    const cp = await this.checkpoint(node);
    const offset = cp && cp.replid === n.replid ? Math.max(cp.offset, n.appliedOffset) : n.appliedOffset;
    return { offset, state: st.state };
  }

  /**
   * Waits until the destination applied `offset` of source master `node`; resolves the applied offset reached, or
   * why not (a task that is not running, or timeoutMs spent).
   */
  async waitApplied(node: string, offset: number, timeoutMs: number): Promise<Applied> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
      const a = await this.applied(node);
      if ('stuck' in a) return a;
      if (a.offset >= offset) return { offset: a.offset };
      if (NOT_RUNNING.has(a.state)) return { stuck: `the task is ${a.state}: its destination stays at offset ${a.offset} of ${node}, not ${offset}` };
      if (Date.now() >= deadline) return { stuck: `the destination applied offset ${a.offset} of ${node}, not ${offset}, within ${Math.round(timeoutMs / 1000)} s (task ${a.state})` };
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { stuck: 'gave up waiting' };
  }
}

/** The progress of task taskId from source to destination; null when the destination holds no status of it. */
export function openTaskProgress(source: EndpointReader, destination: EndpointReader, taskId: string, checkpointDb: number): Promise<TaskProgress | null> {
  return TaskProgress.open(destination, {
    taskId, standaloneSource: !source.isCluster, checkpointDb,
    streamOf: async (node) => (source.isCluster ? asBuffer(await (await source.client(node, 0)).call('CLUSTER', 'MYID')).toString('latin1') : 'standalone'),
  });
}
