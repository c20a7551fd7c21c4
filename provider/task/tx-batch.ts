// Exactly-once into a standalone destination: incremental writes go in MULTI ... EXEC batches that also SET the
// task's checkpoint key to the batch's last replication offset. The destination applies a batch and its checkpoint
// together or not at all (a connection lost before EXEC discards the queued commands), so after a crash the
// checkpoint read back from the destination is exactly what was applied, and nothing is replayed twice.
import { encodeCommand } from '../resp/encode';

export interface DestinationCheckpoint {
  replid: string;
  offset: number;
  /**
   * The source db the stream is in at `offset` (its last SELECT): a partial resync continues without a new SELECT,
   * as Redis's own replica keeps its db. Absent: none yet (right after a full sync the master selects first).
   */
  db?: number;
}

export function checkpointKey(task: string, node: string): string {
  return `redis-sync:checkpoint:${task}:${node}`;
}

export function encodeCheckpoint(cp: DestinationCheckpoint): string {
  return cp.db !== undefined && cp.db >= 0 ? `${cp.replid} ${cp.offset} ${cp.db}` : `${cp.replid} ${cp.offset}`;
}

/**
 * What the checkpoint key holds while a full sync is being copied: the destination's keys are the task's own but no
 * offset is valid yet. A restart that finds it empties the synchronized databases before the new full sync, so keys
 * of an interrupted copy that the source has deleted since do not survive.
 */
export const FULL_SYNC_MARKER = 'full-sync-in-progress';

export function decodeCheckpoint(text: string | null): DestinationCheckpoint | null {
  const m = text ? /^([0-9a-f]{40}) (\d+)(?: (\d+))?$/.exec(text) : null;
  if (!m) return null;
  return m[3] === undefined ? { replid: m[1], offset: Number(m[2]) } : { replid: m[1], offset: Number(m[2]), db: Number(m[3]) };
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

  constructor(
    private readonly write: RawWrite,
    private readonly checkpointDb: number,
    private readonly key: string,
  ) {}

  get isOpen(): boolean { return this.open; }
  get full(): boolean { return this.count >= MAX_BATCH_COMMANDS; }

  add(db: number, command: Buffer, before: StreamPosition): void {
    if (!this.open) {
      this.write(db, MULTI);
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
    this.write(this.checkpointDb, encodeCommand(['SET', this.key, encodeCheckpoint({ replid, offset: this.offset, db })]));
    this.write(this.checkpointDb, EXEC, this.offset);
    this.open = false;
    this.unconfirmed.push({ offset: this.offset, commands: this.current });
    this.current = [];
    return this.offset;
  }
}
