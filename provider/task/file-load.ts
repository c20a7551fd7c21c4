// Loads an RDB file into the destination: the file's bytes through the RDB reader and the same snapshot writes as a
// full sync from PSYNC (snapshot-writer.ts), with flow control from the writer. The position (the record offset of
// the last key written) is checkpointed every CHECKPOINT_MS in the destination's checkpoint key, so a load that was
// interrupted resumes after it; at the end the checkpoint becomes the file's end in the source's history (its
// repl-id and repl-offset), which a stream that follows continues from.
import { RdbReader } from '../rdb/reader';
import { RdbError } from '../rdb/errors';
import type { RdbEntry } from '../rdb/entry';
import { KeyFilter } from '../filter/key-filter';
import type { Writer } from '../writer/writer';
import type { ResolvedTask } from '../spec/resolve';
import { emptyProgress, type NodeStatus } from '../state/status';
import type { Logger } from '../state/logger';
import type { CheckpointStore } from '../state/checkpoint';
import { encodeCommand } from '../resp/encode';
import { UNSUPPORTED_DATA_CHECK, type Dialect } from '../writer/dialect/dialect';
import type { FunctionLibraries } from './function-libraries';
import { UnsupportedData } from './unsupported-data';
import { SnapshotWriter } from './snapshot-writer';
import { encodeCheckpoint, TxBatch, type BatchTarget } from './tx-batch';
import { encodeFilePosition, fileEndCheckpoint } from './file-position';
import { rdbFileError, streamRdbFile, type RdbFileChunks, type RdbFileInfo } from '../source/rdb-file';

/** How often the load's position is checkpointed (REDIS_SYNC_FILE_CHECKPOINT_MS overrides it, for tests). */
const CHECKPOINT_MS = Number(process.env.REDIS_SYNC_FILE_CHECKPOINT_MS) || 1000;

export interface FileLoadDeps {
  file: RdbFileInfo;
  /** The checkpoint's identity ("standalone"): the stream that may follow the file continues under it. */
  streamId: string;
  task: ResolvedTask;
  writer: Writer;
  status: NodeStatus;
  log: Logger;
  checkpoint: CheckpointStore;
  destination: Dialect;
  destinationRdbVersion: number;
  functions: FunctionLibraries;
  clusterDestination: boolean;
  /** Standalone destination: the checkpoint goes in fenced transactions, in order with the keys' writes. */
  batchTarget: (BatchTarget & { claimed: string | null }) | null;
  /** Cluster destination: saved once the writer confirmed everything before it (no transaction spans the masters). */
  saveClusterCheckpoint: ((value: string) => Promise<void>) | null;
  writerToken: string;
  /** Same file, interrupted: key records at or before this offset are on the destination already. null: from the start. */
  resumeAfter: number | null;
  /** Empty the synchronized databases first: they hold this task's keys from another file or an earlier source. */
  clear: boolean;
  /** Deletes every key of a cluster destination (its slots) before a load that must clear. */
  flushCluster(): Promise<unknown>;
  onLoaded(): void;
  onFailure(err: Error, retryable: boolean): void;
  onStateChange(): void;
}

export class FileLoad {
  private readonly reader: RdbReader;
  private readonly snapshot: SnapshotWriter;
  private readonly keys: KeyFilter;
  private chunks: RdbFileChunks | null = null;
  private paused = false;
  private failed = false;
  private endPending = false;
  private stopped = false;
  /** The file's end is queued as the checkpoint: no position may be written after it. */
  private ended = false;
  /** The record offset of the last key whose writes are all queued; what a checkpoint may name. */
  private lastKeyOffset = 0;
  private checkpointedOffset = 0;
  private bigKeyOffset = 0;
  private skippingBigKey = false;
  private checkpointDue = false;
  private timer: NodeJS.Timeout | null = null;
  private savingCluster: Promise<void> | null = null;
  private readonly batch: TxBatch | null;
  private readonly sink = (e: RdbEntry): boolean => {
    this.onEntry(e);
    return !this.paused && !this.savingCluster;
  };

  constructor(private readonly d: FileLoadDeps) {
    const t = d.task;
    this.reader = new RdbReader({ bigKeyBytes: t.tuning.bigKeyBytes });
    this.keys = new KeyFilter(t.spec.keyFilter, t.spec.keyRenames);
    const unsupported = new UnsupportedData((t.spec.ignorePrechecks ?? []).includes(UNSUPPORTED_DATA_CHECK), d.log, d.file.path);
    const dbs = t.databases;
    this.snapshot = new SnapshotWriter({
      node: d.file.path, task: t, log: d.log, keys: this.keys, wantsDb: (db) => dbs === null || dbs.includes(db), destination: d.destination,
      destinationRdbVersion: d.destinationRdbVersion, unsupported, functions: d.functions, clusterDestination: d.clusterDestination,
      progress: () => d.status.fullSync, rdbVersion: () => this.reader.rdbVersion, write: (db, key, cmd) => this.write(db, key, cmd),
    });
    this.lastKeyOffset = this.checkpointedOffset = d.resumeAfter ?? 0;
    this.batch = d.batchTarget ? new TxBatch((db, cmd) => this.write(db, null, cmd), d.batchTarget) : null;
    this.batch?.setExpected(d.batchTarget!.claimed);
    d.writer.on('drain', () => this.resumeIfPaused());
  }

  async start(): Promise<void> {
    const s = this.d.status;
    s.state = 'Initializing';
    s.lastSync = 'full';
    s.fullSync = { ...emptyProgress(), bytesTotal: this.d.file.bytes, startedAt: new Date().toISOString() };
    const resuming = this.d.resumeAfter !== null && this.d.resumeAfter > 0;
    this.d.log.info({ file: this.d.file.path, bytes: this.d.file.bytes, rdbVersion: this.d.file.rdbVersion, clear: this.d.clear, resumeAfter: this.d.resumeAfter },
      resuming ? `resuming the load of the RDB file after byte offset ${this.d.resumeAfter} (the keys before it are on the destination)` : 'loading the RDB file');
    // The position goes first, fenced, with the clearing: a daemon that is not the owner writes no key, and a crash
    // from here on finds the load's own checkpoint (resumed, never cleared again).
    const first = encodeFilePosition({ tag: this.d.file.tag, offset: this.checkpointedOffset, writer: this.d.writerToken });
    if (this.batch) this.batch.setCheckpoint(first, this.d.clear ? this.clearCommands() : []);
    else {
      if (this.d.clear) await this.d.flushCluster();
      await this.d.saveClusterCheckpoint?.(first);
    }
    await this.d.writer.flush();
    if (this.stopped) return;
    this.d.onStateChange();
    this.timer = setInterval(() => { this.checkpointDue = true; }, CHECKPOINT_MS);
    this.timer.unref();
    this.chunks = streamRdbFile(this.d.file, {
      onData: (chunk) => this.onData(chunk),
      onEnd: () => this.onEnd(),
      onError: (err) => this.fail(err, false),
    });
  }

  /** Stops reading; the position of what is queued is checkpointed (fenced) and flushed, for a quick resume. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.chunks?.close();
    if (!this.failed && !this.ended && this.batch && this.lastKeyOffset > this.checkpointedOffset) {
      try {
        this.snapshot.flush();
        this.saveStandalone();
      } catch { /* the writer failed: its failure is already reported */ }
    }
    try {
      await this.d.writer.flush();
    } catch { /* already reported */ }
    await this.savingCluster;
  }

  private clearCommands(): Array<{ db: number; command: Buffer }> {
    const dbs = this.d.task.databases;
    this.d.log.info({ file: this.d.file.path, databases: dbs ?? 'all' }, 'emptying the synchronized databases on the destination first: they hold this task\'s keys of another file or source');
    if (dbs === null) return [{ db: 0, command: encodeCommand(['FLUSHALL']) }];
    return dbs.map((db) => ({ db: this.d.task.mapDb(db), command: encodeCommand(['FLUSHDB']) }));
  }

  private onData(chunk: Buffer): void {
    if (this.failed || this.stopped) return;
    this.d.status.fullSync.bytesDone += chunk.length;
    try {
      this.reader.push(chunk, this.sink);
      this.snapshot.flush();
    } catch (err) {
      this.fail(this.wrap(err), false);
      return;
    }
    if (this.reader.isStalled) this.chunks?.pause();
  }

  private onEntry(e: RdbEntry): void {
    switch (e.kind) {
      case 'key':
        if (this.d.resumeAfter !== null && e.offset <= this.d.resumeAfter) return this.skipped(e.db, e.key);
        this.snapshot.apply(e);
        return this.keyDone(e.offset);
      case 'bigkey-begin':
        this.bigKeyOffset = e.offset;
        this.skippingBigKey = this.d.resumeAfter !== null && e.offset <= this.d.resumeAfter;
        if (!this.skippingBigKey) this.snapshot.apply(e);
        return;
      case 'bigkey-part':
        if (!this.skippingBigKey) this.snapshot.apply(e);
        return;
      case 'bigkey-end':
        if (this.skippingBigKey) return this.skipped(e.db, e.key);
        this.snapshot.apply(e);
        return this.keyDone(this.bigKeyOffset);
      default:
        // Function libraries are loaded again on a resume (FUNCTION LOAD REPLACE: the same result).
        this.snapshot.apply(e);
    }
  }

  /** A key written before the interruption: counted, not written again. */
  private skipped(db: number, key: Buffer): void {
    if (this.snapshot.wantsKey(db, key)) this.d.status.fullSync.keysDone++;
  }

  private keyDone(offset: number): void {
    this.lastKeyOffset = offset;
    if (!this.checkpointDue) return;
    this.checkpointDue = false;
    this.snapshot.flush();
    if (this.batch) this.saveStandalone();
    else this.saveCluster();
  }

  /** In the pipeline after the keys it covers: applied after them or not at all, fenced against a former owner. */
  private saveStandalone(): void {
    this.batch!.setCheckpoint(encodeFilePosition({ tag: this.d.file.tag, offset: this.lastKeyOffset, writer: this.d.writerToken }));
    this.checkpointedOffset = this.lastKeyOffset;
  }

  /** The reader waits (its sink says so) until the writer confirmed everything before the position, then saves it. */
  private saveCluster(): void {
    const offset = this.lastKeyOffset;
    const value = encodeFilePosition({ tag: this.d.file.tag, offset, writer: this.d.writerToken });
    this.savingCluster = this.d.writer.flush()
      .then(() => this.d.saveClusterCheckpoint!(value))
      .then(() => { this.checkpointedOffset = offset; }, (err: Error) => this.fail(err, true))
      .finally(() => { this.savingCluster = null; this.resumeIfPaused(); });
  }

  private write(db: number, key: Buffer | null, command: Buffer): void {
    let ok: boolean;
    try {
      ok = this.d.writer.write(db, key, command);
    } catch (err) {
      this.fail(err as Error, (err as Error).name === 'ConnectionLostError');
      return;
    }
    if (!ok) this.paused = true;
  }

  private resumeIfPaused(): void {
    if (this.failed || this.stopped) return;
    this.paused = false;
    if (this.paused || this.savingCluster || !this.reader.isStalled) return;
    try {
      this.reader.resume(this.sink);
      this.snapshot.flush();
    } catch (err) {
      this.fail(this.wrap(err), false);
      return;
    }
    if (this.reader.isStalled) return;
    if (this.endPending) this.onEnd();
    else this.chunks?.resume();
  }

  private onEnd(): void {
    if (this.failed || this.stopped) return;
    if (this.reader.isStalled) {
      this.endPending = true;
      return;
    }
    this.endPending = false;
    try {
      for (const e of this.reader.end()) this.onEntry(e);
      this.snapshot.flush();
    } catch (err) {
      this.fail(this.wrap(err), false);
      return;
    }
    if (this.timer) clearInterval(this.timer);
    this.ended = true;
    const end = fileEndCheckpoint(this.d.file, this.d.writerToken);
    const value = encodeCheckpoint(end);
    if (this.batch) this.batch.setCheckpoint(value);
    const saved = this.d.writer.flush().then(() => this.d.saveClusterCheckpoint?.(value));
    saved.then(() => {
      const s = this.d.status;
      s.fullSync.finishedAt = new Date().toISOString();
      s.replid = end.replid;
      s.appliedOffset = s.receivedOffset = end.offset;
      this.d.checkpoint.save(this.d.streamId, end.replid, end.offset, end.db);
      this.d.log.info({ file: this.d.file.path, keys: s.fullSync.keysDone, bytes: s.fullSync.bytesDone, replid: end.replid, offset: end.offset }, 'RDB file loaded');
      this.d.onLoaded();
    }, (err: Error) => this.fail(err, (err as { retryable?: boolean }).retryable ?? false));
  }

  /** The reader's errors name the file, the offset and what to do; what the sink threw (StreamError) is its own. */
  private wrap(err: unknown): Error {
    return err instanceof RdbError ? rdbFileError(this.d.file.path, this.d.file.bytes, err) : (err as Error);
  }

  private fail(err: Error, retryable: boolean): void {
    if (this.failed) return;
    this.failed = true;
    if (this.timer) clearInterval(this.timer);
    this.chunks?.close();
    this.d.onFailure(err, retryable);
  }
}
