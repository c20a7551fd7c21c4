// What a daemon does on the destination before it writes anything, each attempt: it closes the connections of the
// task's former writers, refuses a destination that is not the one the task wrote to, and claims the checkpoints
// with its own token, which fences every transaction a former owner may still send (fence.ts, fence-clients.ts).
import type { NodeAddress } from '../spec/types';
import type { ResolvedTask } from '../spec/resolve';
import { formatHostPort } from '../spec/address';
import type { Logger } from '../state/logger';
import { INTERNAL_KEY_PREFIX } from '../state/task-keys';
import { killFormerWriters } from '../state/fence-clients';
import { endpointMasters } from '../cluster/topology';
import { withClient, scanMatch } from '../precheck/node-facts';
import { CLAIM_SCRIPT } from './fence';
import { decodeCheckpoint, encodeCheckpoint, isFullSyncMarker, FULL_SYNC_MARKER } from './tx-batch';
import { decodeFilePosition, encodeFilePosition } from './file-position';

export class Takeover {
  private warnedNoKill = false;

  constructor(private readonly task: ResolvedTask, private readonly writer: string, private readonly log: Logger) {}

  /** Every master of a cluster destination, or the standalone one. */
  private destinationMasters(): Promise<NodeAddress[]> {
    return endpointMasters(this.task.spec.destination.mode, this.task.destinationNodes);
  }

  /** No connection of a former writer of the task stays open (fence-clients.ts). */
  async closeFormerWriters(): Promise<void> {
    for (const node of await this.destinationMasters()) {
      try {
        const killed = await withClient(node, (c) => killFormerWriters(c, this.task.id, this.writer));
        if (killed) this.log.warn({ node: formatHostPort(node), connections: killed }, 'closed the destination connections of a former writer of this task');
      } catch (err) {
        if (!this.warnedNoKill) this.log.warn({ node: formatHostPort(node), err: (err as Error).message }, 'cannot list or close a former writer\'s connections (CLIENT LIST/KILL refused): the lease and the checkpoint fence remain');
        this.warnedNoKill = true;
      }
    }
  }

  /**
   * A destination without this task's checkpoint that the task has written before (`wroteBefore`: a local checkpoint
   * says so) is another server, or one that came back: with keys in it, a full sync would merge into data that is not
   * the task's. Refused as the existing-data precheck would (DTS's "Precheck and Report Errors"); an empty one is
   * synced in full.
   */
  async refuseForeignDestination(values: Array<string | null>, wroteBefore: boolean): Promise<void> {
    if ((this.task.spec.existingData ?? 'precheckAndReportErrors') === 'ignoreErrorsAndProceed') return;
    if (values.some((v) => v !== null) || !wroteBefore) return;
    const nodes = await this.destinationMasters();
    const dbs = this.task.databases === null ? null : this.task.databases.map((db) => this.task.mapDb(db));
    let keys = 0;
    for (const node of nodes) keys += await withClient(node, (c) => dataKeys(c, dbs));
    if (keys === 0) return;
    const where = nodes.map(formatHostPort).join(', ');
    throw Object.assign(new Error(`destination ${where} no longer holds task ${this.task.id}'s checkpoint but holds ${keys} keys in the synchronized databases: it is not the server the task wrote to (replaced, or emptied and written since). Nothing was written. Empty those databases, or set existingData: ignoreErrorsAndProceed to merge into them, then start the task again`), { retryable: false, node: where });
  }

  /**
   * Writes this process's token into every checkpoint it resumes from (compare-and-set on the value just read): from
   * then on the previous owner's fenced transactions abort. Returns what each key now holds.
   */
  async claimCheckpoints(node: NodeAddress, db: number, keys: string[], values: Array<string | null>): Promise<Array<string | null>> {
    return withClient(node, async (c) => {
      await c.select(db);
      const out: Array<string | null> = [];
      for (const [i, v] of values.entries()) {
        if (v === null) { out.push(null); continue; }
        const cp = decodeCheckpoint(v);
        const pos = decodeFilePosition(v);
        const next = cp ? encodeCheckpoint({ ...cp, writer: this.writer }) : pos ? encodeFilePosition({ ...pos, writer: this.writer })
          : isFullSyncMarker(v) ? `${FULL_SYNC_MARKER} ${this.writer}` : v;
        const r = await c.eval(CLAIM_SCRIPT, 1, keys[i], v, next);
        if (r !== 'OK') throw Object.assign(new Error(`task ${this.task.id}: its checkpoint ${keys[i]} changed while this daemon took the task over (its previous owner was still writing): retrying`), { retryable: true });
        out.push(next);
      }
      return out;
    }, 10_000);
  }
}

/** Keys in these databases (null: all) that are data, not redis-sync's own (this task's lease and status among them). */
async function dataKeys(c: import('ioredis').default, dbs: number[] | null): Promise<number> {
  const info = await c.info('keyspace');
  let n = 0;
  for (const m of info.matchAll(/^db(\d+):keys=(\d+)/gm)) {
    const db = Number(m[1]);
    if (dbs !== null && !dbs.includes(db)) continue;
    await c.select(db);
    n += Number(m[2]) - (await scanMatch(c, `${INTERNAL_KEY_PREFIX}*`, 1000)).length;
  }
  return n;
}
