// How far the task's destination has got, as the task's daemon publishes it on the destination (its status key):
// the applied offset of each source stream. Verify waits on it so that a key is compared only once the destination
// has applied the source's offset at which the key was read: a write still in flight is lag, not a difference.
import type { EndpointReader } from './endpoint-reader';
import type { TaskStatus } from '../state/status';
import { statusKey, TASK_META_DB } from '../state/task-keys';
import { asBuffer } from './redis-calls';

export type Applied = { offset: number } | { stuck: string };

const POLL_MS = 100;

export class TaskProgress {
  private constructor(private readonly destination: EndpointReader, private readonly key: Buffer, private readonly standaloneSource: boolean) {}

  /** Null when the destination holds no status of the task (it never ran there): nothing to wait on. */
  static async open(destination: EndpointReader, taskId: string, standaloneSource: boolean): Promise<TaskProgress | null> {
    const p = new TaskProgress(destination, Buffer.from(statusKey(taskId)), standaloneSource);
    return (await p.status()) ? p : null;
  }

  async status(): Promise<TaskStatus | null> {
    const c = await this.destination.client(this.destination.nodeFor(this.key), TASK_META_DB);
    const r = await c.call('GET', this.key);
    return r === null ? null : (JSON.parse(asBuffer(r).toString('utf8')) as TaskStatus);
  }

  /** The destination's applied offset of the stream of source master `node`, or why it cannot be told. */
  async applied(node: string): Promise<Applied> {
    const st = await this.status();
    if (!st) return { stuck: 'the task has no status on the destination any more' };
    const n = this.standaloneSource ? st.nodes[0] : st.nodes.find((x) => x.node === node);
    if (!n) return { stuck: `the task's status has no stream of source master ${node}` };
    return { offset: n.appliedOffset };
  }

  /**
   * Waits until the destination applied `offset` of source master `node`; resolves the applied offset reached, or
   * why not (a task that is not running, or timeoutMs spent).
   */
  async waitApplied(node: string, offset: number, timeoutMs: number): Promise<Applied> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
      const a = await this.applied(node);
      if ('stuck' in a || a.offset >= offset) return a;
      if (Date.now() >= deadline) {
        const st = await this.status();
        return { stuck: `the destination applied offset ${a.offset} of ${node}, not ${offset}, within ${Math.round(timeoutMs / 1000)} s (task ${st?.state ?? 'gone'})` };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { stuck: 'gave up waiting' };
  }
}
