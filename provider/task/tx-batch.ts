// Exactly-once into a standalone destination: incremental writes go in MULTI ... EXEC batches that also SET the
// task's checkpoint key to the batch's last replication offset. The destination applies a batch and its checkpoint
// together or not at all (a connection lost before EXEC discards the queued commands), so after a crash the
// checkpoint read back from the destination is exactly what was applied, and nothing is replayed twice.
import { encodeCommand } from '../resp/encode';
import { fenceCommands } from './fence';
import { StringBatch, setPairBytes } from './string-batch';

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

/** The commands of one batch with where the stream stood before each (offsets and dbs side by side: no object each). */
interface BatchCommands { offset: number; commands: Buffer[]; offsets: number[]; dbs: number[] }

function emptyBatch(): BatchCommands {
  return { offset: -1, commands: [], offsets: [], dbs: [] };
}

export class TxBatch {
  private open = false;
  private count = 0;
  /**
   * Redis runs every command of an EXEC even when one fails (WRONGTYPE...), and the checkpoint SET with them. For the
   * batches not yet confirmed, each command's position lets the engine move the checkpoint back to just before a
   * command that failed, so that a restart applies it again instead of skipping it. Looked up only on such a failure.
   */
  private readonly unconfirmed: BatchCommands[] = [];
  private current: BatchCommands = emptyBatch();
  /** Offset the batch will checkpoint: its last command's, dropped commands included. */
  offset = -1;

  /** What the checkpoint key holds once every transaction sent so far ran: what the next one's fence expects. */
  private expected: string | null = null;
  /**
   * Consecutive plain SETs go as one MSET: the destination runs one command (one +QUEUED, one reply in EXEC) for
   * many, which is most of what a SET costs it inside a transaction. setStart: the position before the first SET
   * waiting in it (-1: none wait), what a failure of that MSET moves the checkpoint back to.
   */
  private readonly sets: StringBatch;
  private setStartOffset = -1;
  private setStartDb = -1;

  constructor(private readonly write: RawWrite, private readonly target: BatchTarget) {
    this.sets = new StringBatch((db, command) => this.writeSets(db, command));
  }

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

  /** A command of the stream; beforeOffset and beforeDb: where the stream stood just before it. */
  add(db: number, command: Buffer, beforeOffset: number, beforeDb: number): void {
    this.openFor(db);
    this.sets.flush();
    this.write(db, command);
    this.count++;
    this.remember(command, beforeOffset, beforeDb);
  }

  /**
   * A plain `SET key value` of the stream (no option, a value of at most STRING_BATCH_VALUE_MAX): it joins the MSET
   * being built, which goes out before the next other command, at a db change, once full, or when the batch closes.
   */
  addSet(db: number, key: Buffer, value: Buffer, command: Buffer, beforeOffset: number, beforeDb: number): void {
    this.openFor(db);
    if (this.sets.pendingDb !== db) this.sets.flush();
    if (this.setStartOffset < 0) {
      this.setStartOffset = beforeOffset;
      this.setStartDb = beforeDb;
    }
    // Full, the MSET goes out with this pair in it (writeSets). The stream's own bytes of the pair when it has them.
    const pair = setPairBytes(command);
    if (pair) this.sets.addEncoded(db, pair);
    else this.sets.add(db, key, value);
    this.count++;
  }

  private openFor(db: number): void {
    if (this.open) return;
    this.begin(db);
    this.open = true;
    this.count = 0;
  }

  private writeSets(db: number, command: Buffer): void {
    this.write(db, command);
    this.remember(command, this.setStartOffset, this.setStartDb);
    this.setStartOffset = -1;
  }

  private remember(command: Buffer, beforeOffset: number, beforeDb: number): void {
    const c = this.current;
    c.commands.push(command);
    c.offsets.push(beforeOffset);
    c.dbs.push(beforeDb);
  }

  /** The destination confirmed every batch up to this offset. */
  confirmed(offset: number): void {
    while (this.unconfirmed.length && this.unconfirmed[0].offset <= offset) this.unconfirmed.shift();
  }

  positionBefore(command: Buffer): StreamPosition | null {
    for (const b of [...this.unconfirmed, this.current]) {
      const i = b.commands.indexOf(command);
      if (i >= 0) return { offset: b.offsets[i], db: b.dbs[i] };
    }
    return null;
  }

  /** Closes the batch with the checkpoint SET; EXEC carries the offset, so 'applied' fires when it is done. */
  close(replid: string, db?: number): number | null {
    if (!this.open) return null;
    this.sets.flush();
    const value = this.valueFor(replid, this.offset, db);
    const set = encodeCommand(['SET', this.target.key, value]);
    // Refused itself (OOM while queueing), the checkpoint SET is named with its batch's offset: everything before it ran.
    this.remember(set, this.offset, db ?? -1);
    this.write(this.target.db, set);
    this.write(this.target.db, EXEC, this.offset);
    this.expected = value;
    this.open = false;
    const c = this.current;
    c.offset = this.offset;
    this.unconfirmed.push(c);
    this.current = emptyBatch();
    return this.offset;
  }
}
