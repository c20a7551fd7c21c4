// Exactly-once into a cluster destination: the incremental writes of one socket read are grouped by the destination
// node that owns each key's slot (the table read when the attempt started), and each node's group goes as one script
// (node-batch-script.ts) that applies them and sets the node's checkpoint key to `replid offset db writer ranges`
// (node-checkpoints.ts). One checkpoint write per node and batch, however many slots the batch touches.
// A slot that moves while the attempt runs makes its node's script fail (TRYAGAIN): the attempt restarts with the new
// table, and every slot resumes from the highest offset claimed for it.
import calculateSlot from 'cluster-key-slot';
import { encodeCommand, digitCount, writeHeader, intBulkSize, writeBulkInt } from '../resp/encode';
import { slotTag } from '../cluster/slot-tags';
import { nodeCheckpointKey } from '../state/task-keys';
import { MAX_BATCH_COMMANDS, type StreamPosition } from './tx-batch';
import { claimSuffix, rangesByNode, AppliedSlots, type NodeCheckpoint } from './node-checkpoints';
import { MAX_SCRIPT_COMMAND_ARGS } from './node-batch-script';

/** Sends a command routed by key's slot; offset tags it for 'applied'. */
export type KeyedWrite = (key: Buffer, command: Buffer, offset?: number) => void;

export interface NodeBatchPlan {
  taskId: string;
  stream: string;
  /** This process's token and attempt: part of every key's name (each attempt writes keys of its own). */
  writer: string;
  attempt: number;
  /** Slot -> node index, as the writer read it when the attempt started. */
  owner: Int32Array;
  sha: string;
  /** Claims read when the attempt started (this stream's keys of earlier attempts). */
  claims: NodeCheckpoint[];
}

interface NodeGroup {
  key: Buffer;
  suffix: string;
  /** What the key holds once every script sent so far ran ('' before the first). */
  expected: string;
  pieces: Buffer[];
  args: number;
  /** Where the stream stood before each command: offset and db in pairs, joined by spaces into the script's last argument. */
  befores: number[];
}

function intBulk(n: number): Buffer {
  const b = Buffer.allocUnsafe(intBulkSize(n));
  writeBulkInt(b, 0, n);
  return b;
}

/** The argument count of each command as a bulk string, made once for the usual counts (hot path). */
const COUNTS = Array.from({ length: 64 }, (_, n) => intBulk(n));
const countBulk = (n: number): Buffer => COUNTS[n] ?? intBulk(n);

/** A RESP array command: its argument count and where its first argument starts (the bytes are forwarded as they are). */
function commandShape(command: Buffer): { argc: number; body: number } {
  let i = 1;
  let argc = 0;
  for (; command[i] !== 13; i++) argc = argc * 10 + command[i] - 48;
  return { argc, body: i + 2 };
}

export class NodeBatches {
  private readonly groups = new Map<number, NodeGroup>();
  private readonly open: NodeGroup[] = [];
  private count = 0;
  readonly applied: AppliedSlots;
  /** Offset the batch will checkpoint: its last command's, dropped commands included. */
  offset = -1;

  constructor(private readonly write: KeyedWrite, private readonly plan: NodeBatchPlan) {
    this.applied = new AppliedSlots(plan.claims);
    for (const [node, ranges] of rangesByNode(plan.owner)) {
      const key = nodeCheckpointKey(plan.taskId, plan.stream, `${plan.writer}.${plan.attempt}`, slotTag(ranges[0][0]));
      this.groups.set(node, { key: Buffer.from(key), suffix: claimSuffix(plan.writer, ranges), expected: '', pieces: [], args: 0, befores: [] });
    }
  }

  /** Every key this attempt may write: registered before the first batch. */
  get keys(): string[] {
    return [...this.groups.values()].map((g) => g.key.toString('latin1'));
  }

  get isOpen(): boolean { return this.open.length > 0; }
  get full(): boolean { return this.count >= MAX_BATCH_COMMANDS; }

  /** Whether a command fits in a script: others go outside the batches (at-least-once). */
  static fits(command: Buffer): boolean {
    return commandShape(command).argc <= MAX_SCRIPT_COMMAND_ARGS;
  }

  /** Whether the slot of `key` applied the command at `offset` before a crash: then it is skipped. */
  wasApplied(key: Buffer, offset: number): boolean {
    return !this.applied.empty && this.applied.applied(calculateSlot(key), offset);
  }

  /**
   * One write (a RESP command) into its node's batch, unless its slot applied the command at `offset` before a crash
   * (then false); `before`: where the stream stood before the command.
   */
  addUnlessApplied(key: Buffer, command: Buffer, before: StreamPosition, offset: number): boolean {
    const slot = calculateSlot(key);
    if (this.applied.applied(slot, offset)) return false;
    this.addToSlot(slot, key, command, before);
    return true;
  }

  /** One write (a RESP command) into its node's batch; `before`: where the stream stood before its command. */
  add(key: Buffer, command: Buffer, before: StreamPosition): void {
    this.addToSlot(calculateSlot(key), key, command, before);
  }

  private addToSlot(slot: number, key: Buffer, command: Buffer, before: StreamPosition): void {
    const g = this.groups.get(this.plan.owner[slot]);
    if (!g) throw Object.assign(new Error(`no destination master serves the slot of key "${key.toString('utf8')}" (slot ${slot}): the cluster is incomplete`), { retryable: true });
    if (!g.pieces.length) this.open.push(g);
    const { argc, body } = commandShape(command);
    g.pieces.push(countBulk(argc), command.subarray(body));
    g.args += 1 + argc;
    g.befores.push(before.offset, before.db);
    this.count++;
  }

  /**
   * Every node's claim set to the current offset without a write, at +CONTINUE and after a full sync: from then on
   * each slot has a claim of the stream's history, so a restart can resume from what the slots hold (lowestOf).
   */
  claimAll(): void {
    for (const g of this.groups.values()) if (!g.pieces.length && !this.open.includes(g)) this.open.push(g);
  }

  /** Sends every open node's script; the last one carries the offset, so 'applied' fires once all of them ran. */
  close(replid: string, db: number): number | null {
    if (!this.open.length) return null;
    let left = this.open.length;
    for (const g of this.open) {
      const value = `${replid} ${this.offset} ${db} ${g.suffix}`;
      // The script's own arguments, then the commands' arguments as they came: one array header for all of them.
      const own = encodeCommand(['EVALSHA', this.plan.sha, 1, g.key, g.expected, value, replid, g.suffix, g.befores.join(' ')]);
      const head = Buffer.allocUnsafe(digitCount(9 + g.args) + 3);
      writeHeader(head, 0, 42, 9 + g.args);
      this.write(g.key, Buffer.concat([head, own.subarray(commandShape(own).body), ...g.pieces]), --left === 0 ? this.offset : undefined);
      g.expected = value;
      g.pieces = [];
      g.args = 0;
      g.befores = [];
    }
    this.open.length = 0;
    this.count = 0;
    return this.offset;
  }
}
