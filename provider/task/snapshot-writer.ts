// A snapshot's entries into destination writes: what a full sync from PSYNC and an RDB file load share. The key
// filter sees source names, the writer gets destination names (keyRenames) in mapped databases; small strings
// without a TTL go as MSET batches, other keys as RESTORE or rewritten commands (writer/key-commands.ts), big values
// a part at a time. Function libraries go through the task's registry; what the destination cannot hold is skipped
// or refused (unsupported-data.ts).
import type { RdbEntry, KeyEntry, BigKeyEntry } from '../rdb/entry';
import type { KeyFilter } from '../filter/key-filter';
import { keyEntryCommands, bigKeyEntryCommands, type KeyCommandOptions } from '../writer/key-commands';
import type { ResolvedTask } from '../spec/resolve';
import type { FullSyncProgress } from '../state/status';
import type { Logger } from '../state/logger';
import { encodeAfterHead } from '../resp/encode';
import { isHeartbeatKey } from '../cluster/heartbeat-key';
import { isInternalKey } from '../state/task-keys';
import { StringBatch, STRING_BATCH_VALUE_MAX } from './string-batch';
import type { FunctionLibraries, FunctionWrites } from './function-libraries';
import { UNSUPPORTED_DATA_CHECK, type Dialect } from '../writer/dialect/dialect';
import { serverLabel } from '../writer/dialect/server-info';
import { UnsupportedValueError } from '../writer/value-commands';
import type { UnsupportedData } from './unsupported-data';

/** `SET key value`'s head, encoded once: a cluster destination gets one per small string of the snapshot. */
const SET_HEAD = Buffer.from('*3\r\n$3\r\nSET\r\n');

/** A failure that names where it happened, so status and logs say what, where and at which offset. */
export class StreamError extends Error {
  constructor(message: string, readonly offset: number | null, readonly command: string | null = null) {
    super(message);
    this.name = 'StreamError';
  }
}

export interface SnapshotWriterDeps {
  /** Where the snapshot comes from, for messages: "host:port" or the RDB file's path. */
  node: string;
  task: ResolvedTask;
  log: Logger;
  keys: KeyFilter;
  /** Whether source db `db` is synchronized (task.databases). */
  wantsDb(db: number): boolean;
  destination: Dialect;
  destinationRdbVersion: number;
  unsupported: UnsupportedData;
  functions: FunctionLibraries;
  /** A cluster destination: strings go as SETs (keys rarely share a slot), not MSET batches. */
  clusterDestination: boolean;
  /** The progress the copy counts into (the status's, replaced at each full sync). */
  progress(): FullSyncProgress;
  /** The snapshot's RDB version (known once its header is read). */
  rdbVersion(): number;
  /** Queues one command; key routes it in a cluster (null: keyless). */
  write(db: number, key: Buffer | null, command: Buffer): void;
}

export class SnapshotWriter {
  private readonly strings: StringBatch;
  private readonly heartbeatBase: Buffer;
  private keyOpts: KeyCommandOptions | null = null;

  constructor(private readonly d: SnapshotWriterDeps) {
    this.strings = new StringBatch((db, cmd) => d.write(db, null, cmd));
    this.heartbeatBase = Buffer.from(d.task.heartbeat.key);
  }

  /** Sends the MSET batch being built: what is applied so far is then all in the writer. */
  flush(): void {
    this.strings.flush();
  }

  /** Whether a key entry of the snapshot is copied (the filter sees the source's name). */
  wantsKey(db: number, key: Buffer): boolean {
    return this.d.wantsDb(db) && !isHeartbeatKey(this.heartbeatBase, key) && !isInternalKey(key) && this.d.keys.wants(db, key);
  }

  apply(entry: RdbEntry): void {
    if (entry.kind === 'key' || entry.kind === 'bigkey-begin' || entry.kind === 'bigkey-part' || entry.kind === 'bigkey-end') {
      if (this.wantsKey(entry.db, entry.key)) this.applyKey(this.renamed(entry));
      return;
    }
    this.applyRecord(entry);
  }

  /** The same object for every key of a snapshot (made once its header gave the RDB version). */
  private keyOptions(): KeyCommandOptions {
    const sourceRdbVersion = this.d.rdbVersion();
    if (this.keyOpts?.sourceRdbVersion === sourceRdbVersion) return this.keyOpts;
    this.keyOpts = {
      sourceRdbVersion,
      destinationRdbVersion: this.d.destinationRdbVersion,
      destination: this.d.destination,
      bigKeyBytes: this.d.task.tuning.bigKeyBytes,
      rewriteChunkElements: this.d.task.tuning.rewriteChunkElements,
    };
    return this.keyOpts;
  }

  /** The entry under its destination name (keyRenames); the same entry when no rule renames it. */
  private renamed<E extends KeyEntry | BigKeyEntry>(e: E): E {
    const key = this.d.keys.rename(e.db, e.key);
    if (key === e.key) return e;
    // A KeyEntry's decode() reads its own fields: the copy keeps the original behind it.
    return Object.assign(Object.create(e) as E, { key });
  }

  private applyKey(e: KeyEntry | BigKeyEntry): void {
    const s = this.d.progress();
    const db = this.d.task.mapDb(e.db);
    switch (e.kind) {
      case 'key':
        s.keysDone++;
        if (e.valueKind === 'string' && e.expireAtMs === null && e.raw.length <= STRING_BATCH_VALUE_MAX) {
          const v = e.decode();
          if (v.kind === 'string') {
            // A cluster's keys rarely share a slot, so there each goes as a SET (still cheaper than a RESTORE).
            if (this.d.clusterDestination) this.d.write(0, e.key, encodeAfterHead(SET_HEAD, [e.key, v.value]));
            else this.strings.add(db, e.key, v.value);
            return;
          }
        }
        this.strings.flush();
        for (const cmd of this.keyCommands(e)) this.d.write(db, e.key, cmd);
        return;
      case 'bigkey-begin':
      case 'bigkey-part':
      case 'bigkey-end':
        this.strings.flush();
        if (e.kind === 'bigkey-end') s.keysDone++;
        for (const cmd of bigKeyEntryCommands(e, this.keyOptions())) this.d.write(db, e.key, cmd);
        return;
    }
  }

  private applyRecord(e: Exclude<RdbEntry, KeyEntry | BigKeyEntry>): void {
    const s = this.d.progress();
    switch (e.kind) {
      case 'resizedb':
        // With a key filter the snapshot's sizes count keys that are not copied: the total is then unknown.
        if (this.d.wantsDb(e.db) && this.d.keys.identity) s.keysExpected = (s.keysExpected ?? 0) + e.dbSize;
        return;
      case 'function':
        if (!this.d.destination.functions) {
          if (this.d.unsupported.trySkip('a function library: functions need Redis 7.0 or later', 0, null, e.offset)) return;
          throw new StreamError(`the snapshot holds a function library and the destination (${serverLabel(this.d.destination.server)}) has no functions (Redis 7.0+): list ${UNSUPPORTED_DATA_CHECK} in ignorePrechecks to skip it`, null);
        }
        this.strings.flush();
        for (const command of this.functionWrites(this.d.functions.load(this.d.node, e.code), e.offset)) this.d.write(0, null, command);
        return;
      case 'warning':
        this.d.log.warn({ node: this.d.node, offset: e.offset, key: e.key?.toString('utf8') ?? null }, e.message);
        return;
      default:
        return;
    }
  }

  /** What the task's library registry decided for a snapshot's library, its warning logged. */
  functionWrites(w: FunctionWrites, offset: number): Buffer[] {
    if (w.warning) this.d.log.warn({ node: this.d.node, offset }, w.warning);
    return w.commands;
  }

  /** A key's commands, or none when the destination cannot hold its value and the user chose to skip such keys. */
  private keyCommands(e: KeyEntry): Iterable<Buffer> {
    const cmds = keyEntryCommands(e, this.keyOptions());
    if (Array.isArray(cmds)) return cmds;
    try {
      return [...cmds];
    } catch (err) {
      if (!(err instanceof UnsupportedValueError)) throw err;
      if (this.d.unsupported.trySkip(err.message, e.db, e.key, null)) return [];
      throw new StreamError(`key "${e.key.toString('utf8')}" (db ${e.db}): ${err.message}; list ${UNSUPPORTED_DATA_CHECK} in ignorePrechecks to skip such keys`, null);
    }
  }
}
