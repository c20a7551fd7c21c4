// One source master's stream: full sync from its snapshot, then its write stream, into the destination writer.
// A cluster source runs one of these per master; each has its own replid/offset checkpoint, status and lag.
import { RdbReader } from '../rdb/reader';
import type { RdbEntry } from '../rdb/entry';
import { CommandFilter, type StreamCommand, type DbCommand } from '../filter/command-filter';
import { keyEntryCommands, bigKeyEntryCommands, type KeyCommandOptions } from '../writer/key-commands';
import type { Writer } from '../writer/writer';
import type { ResolvedTask } from '../spec/resolve';
import type { CheckpointStore } from '../state/checkpoint';
import type { NodeStatus } from '../state/status';
import { emptyProgress } from '../state/status';
import type { Logger } from '../state/logger';
import type { ReplicaLink, ReplicaLinkHandler, PsyncPosition } from './replica-link';
import { AppliedOffsets } from './applied-offsets';
import { LagTracker } from './lag-tracker';
import { encodeCommand } from '../resp/encode';

export type LinkFactory = (handler: ReplicaLinkHandler, position: PsyncPosition | null) => Promise<ReplicaLink>;

export interface NodeSyncDeps {
  node: string;
  task: ResolvedTask;
  writer: Writer;
  checkpoint: CheckpointStore;
  status: NodeStatus;
  log: Logger;
  openLink: LinkFactory;
  destinationRdbVersion: number;
  /** Called when the stream stops for good (a destination error, an unsupported command) or the link fails. */
  onFailure(err: Error, retryable: boolean): void;
  onStateChange(): void;
}

/** A failure that names where it happened, so status and logs say what, where and at which offset. */
export class StreamError extends Error {
  constructor(message: string, readonly offset: number | null, readonly command: string | null = null) {
    super(message);
    this.name = 'StreamError';
  }
}

export class NodeSync implements ReplicaLinkHandler {
  private link: ReplicaLink | null = null;
  private readonly filter: CommandFilter;
  private readonly offsets = new AppliedOffsets(0);
  readonly lag = new LagTracker();
  private reader: RdbReader | null = null;
  private replid: string | null = null;
  private fullSyncOffset = 0;
  private paused = false;
  private inMulti = false;
  private failed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private checkpointedOffset = -1;
  private readonly heartbeatKey: Buffer | null;

  constructor(private readonly d: NodeSyncDeps) {
    const t = d.task;
    this.heartbeatKey = t.heartbeat.enabled ? Buffer.from(t.heartbeat.key) : null;
    this.filter = new CommandFilter({ databases: t.databases, mapDb: t.mapDb, heartbeatKey: this.heartbeatKey, forwardPublish: t.forwardPublish });
    d.writer.on('applied', (offset) => this.onApplied(offset));
    d.writer.on('drain', () => this.resumeIfPaused());
  }

  async start(): Promise<void> {
    const cp = this.d.checkpoint.get(this.d.node);
    const position = cp ? { replid: cp.replid, offset: cp.offset } : null;
    this.d.log.info({ node: this.d.node, psync: position ?? 'full' }, position ? `PSYNC ${cp!.replid} ${cp!.offset + 1}` : 'PSYNC ? -1');
    this.link = await this.d.openLink(this, position);
    this.checkpointTimer = setInterval(() => this.saveCheckpoint(), 200);
    this.checkpointTimer.unref();
  }

  /** Flushes what is in flight, saves the checkpoint and closes the link. */
  async stop(): Promise<void> {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.link?.pause();
    try {
      await this.d.writer.flush();
    } catch { /* the failure is already reported */ }
    this.saveCheckpoint();
    await this.link?.close();
    this.link = null;
  }

  // ---- full sync ----

  onFullResync(replid: string, offset: number): void {
    const s = this.d.status;
    this.replid = replid;
    this.fullSyncOffset = offset;
    this.offsets.reset(offset);
    this.filter.reset();
    this.reader = new RdbReader({ bigKeyBytes: this.d.task.tuning.bigKeyBytes });
    s.state = 'Initializing';
    s.replid = replid;
    s.lastSync = 'full';
    s.fullSync = { ...emptyProgress(), startedAt: new Date().toISOString() };
    s.receivedOffset = offset;
    this.d.log.info({ node: this.d.node, replid, offset }, '+FULLRESYNC: full sync starts');
    this.d.onStateChange();
  }

  onRdbStart(bytesTotal: number | null): void {
    this.d.status.fullSync.bytesTotal = bytesTotal;
  }

  onRdbData(chunk: Buffer): void {
    if (this.failed || !this.reader) return;
    this.d.status.fullSync.bytesDone += chunk.length;
    try {
      for (const e of this.reader.push(chunk)) this.applyRdbEntry(e);
    } catch (err) {
      this.fail(err as Error, false);
    }
  }

  onRdbEnd(): void {
    if (this.failed || !this.reader) return;
    try {
      for (const e of this.reader.end()) this.applyRdbEntry(e);
    } catch (err) {
      this.fail(err as Error, false);
      return;
    }
    this.reader = null;
    this.d.writer.flush().then(() => {
      const s = this.d.status;
      s.fullSync.finishedAt = new Date().toISOString();
      s.appliedOffset = this.fullSyncOffset;
      this.d.log.info({ node: this.d.node, keys: s.fullSync.keysDone, bytes: s.fullSync.bytesDone }, 'full sync done');
      this.saveCheckpoint();
      this.enterSynchronizing();
    }, (err: Error) => this.fail(err, false));
  }

  private keyOptions(): KeyCommandOptions {
    return {
      sourceRdbVersion: this.reader?.rdbVersion ?? 0,
      destinationRdbVersion: this.d.destinationRdbVersion,
      bigKeyBytes: this.d.task.tuning.bigKeyBytes,
      rewriteChunkElements: this.d.task.tuning.rewriteChunkElements,
    };
  }

  private wantsKey(db: number, key: Buffer): boolean {
    const dbs = this.d.task.databases;
    if (dbs !== null && !dbs.includes(db)) return false;
    return !(this.heartbeatKey && key.equals(this.heartbeatKey));
  }

  private applyRdbEntry(e: RdbEntry): void {
    const s = this.d.status.fullSync;
    switch (e.kind) {
      case 'resizedb':
        if (this.d.task.databases === null || this.d.task.databases.includes(e.db)) s.keysExpected = (s.keysExpected ?? 0) + e.dbSize;
        return;
      case 'key':
        if (!this.wantsKey(e.db, e.key)) return;
        s.keysDone++;
        for (const cmd of keyEntryCommands(e, this.keyOptions())) this.write(this.d.task.mapDb(e.db), e.key, cmd);
        return;
      case 'bigkey-begin':
      case 'bigkey-part':
      case 'bigkey-end':
        if (!this.wantsKey(e.db, e.key)) return;
        if (e.kind === 'bigkey-end') s.keysDone++;
        for (const cmd of bigKeyEntryCommands(e, this.keyOptions())) this.write(this.d.task.mapDb(e.db), e.key, cmd);
        return;
      case 'function':
        // Function libraries are server-wide: REPLACE keeps a resync idempotent.
        this.write(0, null, encodeCommand(['FUNCTION', 'LOAD', 'REPLACE', e.code]));
        return;
      case 'warning':
        this.d.log.warn({ node: this.d.node, offset: e.offset, key: e.key?.toString('utf8') ?? null }, e.message);
        return;
      default:
        return;
    }
  }

  // ---- incremental sync ----

  onContinue(replid: string, offset: number): void {
    const s = this.d.status;
    this.replid = replid;
    this.offsets.reset(offset);
    s.replid = replid;
    s.lastSync = 'continue';
    s.appliedOffset = s.receivedOffset = offset;
    this.d.log.info({ node: this.d.node, replid, offset }, '+CONTINUE: partial resync from the checkpoint, no full sync');
    this.saveCheckpoint();
    this.enterSynchronizing();
  }

  private enterSynchronizing(): void {
    this.d.status.state = 'Synchronizing';
    this.d.status.retryingSince = null;
    this.d.onStateChange();
  }

  onCommand(cmd: StreamCommand): void {
    if (this.failed) return;
    this.d.status.receivedOffset = cmd.offset;
    const r = this.filter.apply(cmd);
    switch (r.action) {
      case 'forward':
        this.forward(r.writes, cmd.offset);
        return;
      case 'heartbeat':
        this.lag.seen(cmd.offset, r.value);
        this.dropped(cmd.offset);
        return;
      case 'multi':
        // Forwarded as a transaction: MULTI ... EXEC go over the one connection in order.
        this.inMulti = true;
        this.forward([{ db: this.d.task.mapDb(Math.max(this.filter.currentDb, 0)), command: cmd.raw }], cmd.offset);
        return;
      case 'exec':
        this.inMulti = false;
        this.forward([{ db: this.d.task.mapDb(Math.max(this.filter.currentDb, 0)), command: cmd.raw }], cmd.offset);
        return;
      case 'unsupported':
        this.fail(new StreamError(`${r.message} (source ${this.d.node}, offset ${cmd.offset})`, cmd.offset), false);
        return;
      case 'skip':
        this.dropped(cmd.offset);
        return;
    }
  }

  private forward(writes: DbCommand[], offset: number): void {
    // Inside a source transaction nothing is applied until EXEC, so only what is outside one is tagged.
    const tag = !this.inMulti;
    for (let i = 0; i < writes.length; i++) {
      const last = i === writes.length - 1;
      this.write(writes[i].db, null, writes[i].command, last && tag ? offset : undefined);
    }
    if (tag) this.offsets.forwarded(offset);
    this.d.status.commandsApplied++;
  }

  private dropped(offset: number): void {
    if (!this.inMulti && this.offsets.dropped(offset)) this.publishApplied();
  }

  private write(db: number, key: Buffer | null, command: Buffer, offset?: number): void {
    let ok: boolean;
    try {
      ok = this.d.writer.write(db, key, command, offset);
    } catch (err) {
      this.fail(err as Error, false);
      return;
    }
    if (!ok && !this.paused) {
      this.paused = true;
      this.link?.pause();
    }
  }

  private resumeIfPaused(): void {
    if (!this.paused) return;
    this.paused = false;
    this.link?.resume();
  }

  private onApplied(offset: number): void {
    if (this.offsets.confirmed(offset)) this.publishApplied();
  }

  private publishApplied(): void {
    const applied = this.offsets.applied;
    this.d.status.appliedOffset = applied;
    this.link?.setAppliedOffset(applied);
    this.lag.applied(applied);
    this.d.status.lagMs = this.lag.lastLagMs;
  }

  /** Saved only for offsets the destination confirmed; a full sync in progress keeps the old checkpoint. */
  saveCheckpoint(): void {
    const s = this.d.status;
    if (!this.replid || s.state !== 'Synchronizing' || this.inMulti) return;
    const applied = this.offsets.applied;
    if (applied === this.checkpointedOffset) return;
    this.d.checkpoint.save(this.d.node, this.replid, applied);
    this.checkpointedOffset = applied;
  }

  onError(err: Error & { retryable?: boolean }): void {
    this.fail(err, err.retryable ?? false);
  }

  private fail(err: Error, retryable: boolean): void {
    if (this.failed) return;
    this.failed = true;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.d.onFailure(err, retryable);
  }
}
