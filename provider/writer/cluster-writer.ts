// The writer for a cluster destination: one pipelined connection per master, each key routed by its slot.
// Applied offsets need every connection: a tagged write records how many commands each connection had sent, and
// the offset is applied once every connection confirmed that many. MOVED and ASK replies re-send the command to
// the named node; writes to a redirected slot wait until the old owner answered everything sent before, so the
// slot's commands stay in order. A keyless command (sent to every master) waits until every master answered all
// before it: a command still in flight may come back redirected and be re-sent to a master that would otherwise
// have run the keyless command first.
import calculateSlot from 'cluster-key-slot';
import type { EndpointSpec } from '../spec/types';
import { DestinationConnection, DEFAULT_PIPELINE_COMMANDS } from './connection';
import { Notifier } from './notifier';
import { parseNodeAddress } from './node-address';
import type { Writer, WriterEvents } from './writer';
import type { WriterOptions } from './standalone-writer';
import { ConnectionLostError, WriteError, type WriterFailure } from './write-error';
import { RespClient } from '../verify/resp-client';
import { clusterSlots } from '../verify/cluster-slots';

interface AppliedMark {
  offset: number;
  /** sentCount of each connection (by index) when the offset was written. */
  need: number[];
}

interface HeldCommand {
  command: Buffer;
  asking: boolean;
}

/** A slot whose writes wait: its old owner still has commands in flight that may come back redirected. */
interface SlotHold {
  from: number;
  fromSent: number;
  to: string;
  ask: boolean;
  commands: HeldCommand[];
}

/** A write that waits behind a keyless command: key null is the keyless command itself. */
interface WaitingWrite {
  key: Buffer | null;
  command: Buffer;
}

export class ClusterWriter extends Notifier<WriterEvents> implements Writer {
  private readonly conns: Array<DestinationConnection | null> = [];
  private readonly addrs: string[] = [];
  private readonly owner = new Int32Array(16384).fill(-1);
  private readonly marks: AppliedMark[] = [];
  /** Marks before this index are reported: a moving head, since shift() on a long array costs its length. */
  private marksHead = 0;
  private readonly holds = new Map<number, SlotHold>();
  /** From its first keyless command on, what waits for every master to be idle; in write order. */
  private waiting: WaitingWrite[] = [];
  private waitingHead = 0;
  /** Waiting writes count against the same bound as a connection's in-flight commands. */
  private readonly maxWaiting: number;
  private needDrain = false;
  failure: WriterFailure | null = null;
  /** MOVED and ASK replies handled so far (a resharding in progress shows here). */
  redirects = 0;

  private constructor(private readonly spec: EndpointSpec, private readonly opts: WriterOptions) {
    super();
    this.maxWaiting = opts.tuning?.pipelineCommands ?? DEFAULT_PIPELINE_COMMANDS;
  }

  static async open(destination: EndpointSpec, opts: WriterOptions = {}): Promise<ClusterWriter> {
    const w = new ClusterWriter(destination, opts);
    try {
      await w.loadSlots();
    } catch (e) {
      await w.close();
      throw e;
    }
    return w;
  }

  write(db: number, key: Buffer | null, command: Buffer, offset?: number): boolean {
    if (this.failure) throw this.failure;
    if (db !== 0) throw new Error(`a cluster destination has db 0 only (got db ${db})`);
    // Behind a waiting keyless command everything waits, so that it still runs before what was written after it.
    if (this.waitingCount > 0 || (key === null && !this.idle())) this.waiting.push({ key, command });
    else this.dispatch(key, command);
    if (offset !== undefined) this.marks.push({ offset, need: this.conns.map((c) => c?.sentCount ?? 0) });
    if (this.conns.some((c) => c?.overBounds) || this.waitingCount >= this.maxWaiting) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Slot -> node index as routed now (a copy): what a caller groups writes by. */
  slotOwners(): Int32Array {
    return this.owner.slice();
  }

  async flush(): Promise<void> {
    const deadline = Date.now() + 600_000;
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      if (this.failure) throw this.failure;
      await Promise.all(this.conns.map((c) => c?.flush()));
      if (this.waitingCount === 0 && this.idle()) {
        this.reportApplied();
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('cluster writer did not settle its redirected slots in time');
  }

  async close(): Promise<void> {
    await Promise.all(this.conns.map((c) => c?.close()));
  }

  private get waitingCount(): number {
    return this.waiting.length - this.waitingHead;
  }

  /** No slot held and nothing in flight on any master: a keyless command sent now runs after everything before it. */
  private idle(): boolean {
    return this.holds.size === 0 && this.conns.every((c) => !c || c.inFlightCommands === 0);
  }

  private dispatch(key: Buffer | null, command: Buffer): void {
    if (key === null) for (const c of this.conns) c?.send(0, command);
    else this.route(calculateSlot(key), command);
  }

  /** Sends the waiting writes up to the next keyless command that must wait for the masters to be idle again. */
  private sendWaiting(): void {
    let sent = false;
    while (this.waitingCount > 0) {
      const w = this.waiting[this.waitingHead];
      if (w.key === null && !this.idle()) break;
      this.waitingHead++;
      this.dispatch(w.key, w.command);
      sent = true;
    }
    if (this.waitingCount === 0) {
      this.waiting = [];
      this.waitingHead = 0;
    }
    if (!sent) return;
    // Offsets written while these waited were marked with what had been sent then: they also wait for these.
    for (let k = this.marksHead; k < this.marks.length; k++) this.marks[k].need = this.conns.map((c) => c?.sentCount ?? 0);
  }

  private route(slot: number, command: Buffer): void {
    const hold = this.holds.get(slot);
    if (hold) {
      hold.commands.push({ command, asking: false });
      return;
    }
    const i = this.owner[slot];
    const conn = i >= 0 ? this.conns[i] : null;
    if (!conn) throw new Error(`slot ${slot} has no reachable master`);
    conn.send(0, command);
  }

  private onRedirect(from: number, reply: string, command: Buffer): boolean {
    this.redirects++;
    const [kind, slotText, target] = reply.split(' ');
    const slot = Number(slotText);
    const to = target.startsWith(':') ? `${this.addrs[from].split(':')[0]}${target}` : target;
    let hold = this.holds.get(slot);
    if (!hold) {
      const conn = this.conns[from];
      hold = { from, fromSent: conn?.sentCount ?? 0, to, ask: kind === 'ASK', commands: [] };
      this.holds.set(slot, hold);
      if (kind === 'MOVED') this.owner[slot] = this.nodeIndex(to);
    }
    hold.commands.push({ command, asking: kind === 'ASK' });
    const toIndex = this.nodeIndex(to);
    if (!this.conns[toIndex]) void this.connect(toIndex);
    return true;
  }

  /** Sends a slot's held commands once its old owner answered everything sent before the redirect. */
  private release(): void {
    for (const [slot, hold] of this.holds) {
      const from = this.conns[hold.from];
      const toIndex = this.nodeIndex(hold.to);
      const target = this.conns[toIndex];
      if (!from || !target || from.confirmedCount < hold.fromSent) continue;
      this.holds.delete(slot);
      const owner = this.conns[this.owner[slot]] ?? target;
      for (const h of hold.commands) {
        if (h.asking) target.send(0, h.command, undefined, true);
        else owner.send(0, h.command);
      }
      // Offsets written before the release also wait for the re-sent commands.
      for (let k = this.marksHead; k < this.marks.length; k++) {
        const m = this.marks[k];
        m.need[toIndex] = target.sentCount;
        m.need[this.owner[slot]] = owner.sentCount;
      }
    }
  }

  private reportApplied(): void {
    if (this.holds.size > 0 || this.waitingCount > 0) return;
    let last: number | null = null;
    let h = this.marksHead;
    while (h < this.marks.length && this.marks[h].need.every((n, i) => (this.conns[i]?.confirmedCount ?? 0) >= n)) {
      last = this.marks[h].offset;
      h++;
    }
    this.marksHead = h;
    if (h > 4096 && h * 2 > this.marks.length) {
      this.marks.splice(0, h);
      this.marksHead = 0;
    }
    if (last !== null) this.emit('applied', last);
  }

  private onProgress(): void {
    if (this.holds.size > 0) this.release();
    if (this.waitingCount > 0) this.sendWaiting();
    this.reportApplied();
    if (this.needDrain && !this.conns.some((c) => c?.overBounds) && this.waitingCount < this.maxWaiting) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  private nodeIndex(addr: string): number {
    let i = this.addrs.indexOf(addr);
    if (i < 0) {
      i = this.addrs.push(addr) - 1;
      this.conns.push(null);
    }
    return i;
  }

  private async connect(i: number): Promise<void> {
    try {
      const conn = await DestinationConnection.connect({
        address: parseNodeAddress(this.addrs[i], this.spec),
        tuning: this.opts.tuning,
        scriptBody: this.opts.scriptBody,
        clientName: this.opts.clientName,
        redirect: (reply, command) => this.onRedirect(i, reply, command),
      });
      conn.on('progress', () => this.onProgress());
      conn.on('failed', (f) => this.fail(f));
      this.conns[i] = conn;
      this.onProgress();
    } catch (e) {
      this.fail(e instanceof WriteError ? e : new ConnectionLostError(this.addrs[i], e instanceof Error ? e : null, 0));
    }
  }

  private fail(f: WriterFailure): void {
    if (this.failure) return;
    this.failure = f;
    for (const c of this.conns) void c?.close();
    this.emit('failed', f);
  }

  private async loadSlots(): Promise<void> {
    if (this.spec.nodes.length === 0) throw new Error('destination has no nodes');
    const seedAddress = parseNodeAddress(this.spec.nodes[0], this.spec);
    const seed = await RespClient.connect(seedAddress, 0);
    try {
      for (const { from, to, master } of await clusterSlots(seed, seedAddress.host)) this.owner.fill(this.nodeIndex(master), from, to + 1);
    } finally {
      seed.close();
    }
    await Promise.all(this.addrs.map((_, i) => this.connect(i)));
    if (this.failure) throw this.failure;
  }
}
