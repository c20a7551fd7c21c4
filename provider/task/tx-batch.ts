// Exactly-once into a standalone destination: incremental writes go in MULTI ... EXEC batches that also SET the
// task's checkpoint key to the batch's last replication offset. The destination applies a batch and its checkpoint
// together or not at all (a connection lost before EXEC discards the queued commands), so after a crash the
// checkpoint read back from the destination is exactly what was applied, and nothing is replayed twice.
import { encodeCommand } from '../resp/encode';
import { fenceCommands } from './fence';

export interface DestinationCheckpoint {
  replid: string;
  offset: number;
  /**
   * The source db the stream is in at `offset` (its last SELECT): a partial resync continues without a new SELECT,
   * as Redis's own replica keeps its db. Absent: none yet (right after a full sync the master selects first).
   */
  db?: number;
  /** The token of the process that wrote it: the fence (fence.ts) compares the whole value. */
  writer?: string;
}

export function encodeCheckpoint(cp: DestinationCheckpoint): string {
  const db = cp.db !== undefined && cp.db >= 0 ? cp.db : -1;
  return cp.writer ? `${cp.replid} ${cp.offset} ${db} ${cp.writer}` : db >= 0 ? `${cp.replid} ${cp.offset} ${db}` : `${cp.replid} ${cp.offset}`;
}

/**
 * What the checkpoint key holds while a full sync is being copied: the destination's keys are the task's own but no
 * offset is valid yet. A restart that finds it empties the synchronized databases before the new full sync, so keys
 * of an interrupted copy that the source has deleted since do not survive.
 */
export const FULL_SYNC_MARKER = 'full-sync-in-progress';

export function isFullSyncMarker(text: string | null): boolean {
  return text !== null && (text === FULL_SYNC_MARKER || text.startsWith(`${FULL_SYNC_MARKER} `));
}

export function decodeCheckpoint(text: string | null): DestinationCheckpoint | null {
  const m = text ? /^([0-9a-f]{40}) (\d+)(?: (-1|\d+))?(?: ([0-9a-f]+))?$/.exec(text) : null;
  if (!m) return null;
  const cp: DestinationCheckpoint = { replid: m[1], offset: Number(m[2]) };
  if (m[3] !== undefined && m[3] !== '-1') cp.db = Number(m[3]);
  if (m[4] !== undefined) cp.writer = m[4];
  return cp;
}

/** Where the batches keep their checkpoint and how they are fenced. */
export interface BatchTarget {
  /** Database of the checkpoint key. */
  db: number;
  key: string;
  /** This writer's guard key (task-keys.ts guardKey). */
  guard: string;
  /** This process's token, written into every checkpoint. */
  writer: string;
}

export type RawWrite = (db: number, command: Buffer, offset?: number) => void;

const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

/** Most commands in one batch: bounds what a destination holds queued for one client. */
export const MAX_BATCH_COMMANDS = 1000;

/** Where the stream stood just before a command: what a restart must resume from to apply that command again. */
export interface StreamPosition { offset: number; db: number }

export class TxBatch {
  private open = false;
  private count = 0;
  /**
   * Redis runs every command of an EXEC even when one fails (WRONGTYPE...), and the checkpoint SET with them. For the
   * batches not yet confirmed, each command's position lets the engine move the checkpoint back to just before a
   * command that failed, so that a restart applies it again instead of skipping it.
   */
  private readonly positions = new Map<Buffer, StreamPosition>();
  private readonly unconfirmed: Array<{ offset: number; commands: Buffer[] }> = [];
  private current: Buffer[] = [];
  /** Offset the batch will checkpoint: its last command's, dropped commands included. */
  offset = -1;

  /** What the checkpoint key holds once every transaction sent so far ran: what the next one's fence expects. */
  private expected: string | null = null;

  constructor(private readonly write: RawWrite, private readonly target: BatchTarget) {}

  /** The checkpoint's value as read (and claimed) at start; null: no checkpoint yet. */
  setExpected(value: string | null): void {
    this.expected = value;
  }

  private begin(db: number): void {
    for (const c of fenceCommands(this.target.key, this.target.guard, this.expected)) this.write(this.target.db, c);
    this.write(db, MULTI);
  }

  /**
   * One fenced transaction outside the stream: `commands` (e.g. the FLUSHALL before a full sync) then the checkpoint
   * set to `value`. Nothing else may be open.
   */
  setCheckpoint(value: string, commands: Array<{ db: number; command: Buffer }> = []): void {
    if (this.open) throw new Error('setCheckpoint inside an open batch');
    this.begin(commands[0]?.db ?? this.target.db);
    for (const c of commands) this.write(c.db, c.command);
    this.write(this.target.db, encodeCommand(['SET', this.target.key, value]));
    this.write(this.target.db, EXEC);
    this.expected = value;
  }

  /** The checkpoint value this writer writes for a position. */
  valueFor(replid: string, offset: number, db?: number): string {
    return encodeCheckpoint({ replid, offset, db, writer: this.target.writer });
  }

  get isOpen(): boolean { return this.open; }
  get full(): boolean { return this.count >= MAX_BATCH_COMMANDS; }

  add(db: number, command: Buffer, before: StreamPosition): void {
    if (!this.open) {
      this.begin(db);
      this.open = true;
      this.count = 0;
    }
    this.write(db, command);
    this.count++;
    this.positions.set(command, before);
    this.current.push(command);
  }

  /** The destination confirmed every batch up to this offset. */
  confirmed(offset: number): void {
    while (this.unconfirmed.length && this.unconfirmed[0].offset <= offset) {
      for (const c of this.unconfirmed.shift()!.commands) this.positions.delete(c);
    }
  }

  positionBefore(command: Buffer): StreamPosition | null {
    return this.positions.get(command) ?? null;
  }

  /** Closes the batch with the checkpoint SET; EXEC carries the offset, so 'applied' fires when it is done. */
  close(replid: string, db?: number): number | null {
    if (!this.open) return null;
    const value = this.valueFor(replid, this.offset, db);
    const set = encodeCommand(['SET', this.target.key, value]);
    // Refused itself (OOM while queueing), the checkpoint SET is named with its batch's offset: everything before it ran.
    this.positions.set(set, { offset: this.offset, db: db ?? -1 });
    this.current.push(set);
    this.write(this.target.db, set);
    this.write(this.target.db, EXEC, this.offset);
    this.expected = value;
    this.open = false;
    this.unconfirmed.push({ offset: this.offset, commands: this.current });
    this.current = [];
    return this.offset;
  }
}
