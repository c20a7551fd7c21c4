// One source master's stream: full sync from its snapshot, then its write stream, into the destination writer.
// A cluster source runs one of these per master; each has its own replid/offset checkpoint, status and lag.
import { RdbReader } from '../rdb/reader';
import type { RdbEntry } from '../rdb/entry';
import { KeyFilter } from '../filter/key-filter';
import { CommandFilter, isFlush, type StreamCommand, type DbCommand } from '../filter/command-filter';
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
import { routeForCluster, routeRewritten, type RoutedWrite } from '../cluster/cross-slot';
import { colocatePlan, type ColocatePlan } from '../cluster/colocate';
import { isInternalKey } from '../state/task-keys';
import { isFunctionCommand, type FunctionLibraries } from './function-libraries';
import { type StreamPosition, TxBatch, encodeCheckpoint, decodeCheckpoint, isFullSyncMarker, FULL_SYNC_MARKER, type DestinationCheckpoint, type BatchTarget } from './tx-batch';
import { dialectForRdbVersion, UNSUPPORTED_DATA_CHECK, type Dialect } from '../writer/dialect/dialect';
import { serverLabel } from '../writer/dialect/server-info';
import { dialectWrites } from './dialect-writes';
import { SourceClock } from './source-clock';
import { UnsupportedData } from './unsupported-data';
import { TtlRepair } from './ttl-repair';
import { isRelativeExpiry } from '../writer/dialect/translate';
import { SnapshotWriter, StreamError } from './snapshot-writer';
import { isPlainSet } from './string-batch';
import { NodeBatches, type NodeBatchPlan } from './node-batches';
import type { ClaimRecord } from './node-checkpoint-claims';
import type { MigratedKeys } from './migrated-keys';

export { StreamError };

/**
 * Another task's own keys (its checkpoint, lease, status, fence guard) when this task's source is that task's
 * destination (a cascade): they describe that task and that server, and are never carried downstream.
 */
function isInternalCommand(argv: Buffer[]): boolean {
  if (argv.length < 2) return false;
  // Older servers propagate a script itself (the fence's EVAL) rather than its effects: its keys follow numkeys.
  if (argv[0].length === 4 && argv[0].toString('latin1').toLowerCase() === 'eval') {
    const n = Number(argv[2]?.toString('latin1'));
    return n > 0 && argv.slice(3, 3 + n).every(isInternalKey);
  }
  return isInternalKey(argv[1]);
}
export type LinkFactory = (handler: ReplicaLinkHandler, position: PsyncPosition | null) => Promise<ReplicaLink>;

export interface NodeSyncDeps {
  /** host:port of the source master, for messages. */
  node: string;
  /**
   * What the checkpoint is keyed by: an identity that survives an address change ("standalone" for a standalone
   * source, the cluster node id of a master), so a source that moved resumes where it was.
   */
  streamId: string;
  task: ResolvedTask;
  writer: Writer;
  checkpoint: CheckpointStore;
  status: NodeStatus;
  log: Logger;
  openLink: LinkFactory;
  destinationRdbVersion: number;
  /** What the destination understands (default: the oldest Redis that loads destinationRdbVersion). */
  destination?: Dialect;
  /** This stream's heartbeat key (with a hash tag into the master's slots for a cluster source); null: none. */
  heartbeatKey: string | null;
  /** Where script bodies seen in the stream are kept for the writer's NOSCRIPT repair. */
  scripts: { observe(argv: Buffer[]): void };
  /** The task's function libraries, shared by its streams: each master of a cluster source brings its own loads. */
  functions: FunctionLibraries;
  /** A cluster source's keys moving between masters, shared by its streams (null: not a cluster source). */
  migratedKeys: MigratedKeys | null;
  /** The slots of this stream's master when the source is a cluster (a FLUSHALL there empties only those). */
  sourceSlots: Array<[number, number]> | null;
  /** Deletes the destination's keys in these slots (for a FLUSHALL/FLUSHDB from one master of a cluster source). */
  flushSlots(slots: Array<[number, number]>): Promise<number>;
  /** Routes each write by its key's slot; source transactions are applied command by command. */
  clusterDestination: { dumpKey(key: Buffer): Promise<{ payload: Buffer | null; pttl: number }> } | null;
  /** Overwrites this stream's checkpoint key on the destination (outside the batches). */
  setDestinationCheckpoint(value: string): Promise<void>;
  /** Where the destination keeps this stream's checkpoint (standalone destinations); null: no transactional checkpoint. */
  destinationCheckpoint: (BatchTarget & {
    value: DestinationCheckpoint | null;
    /** The key's value once claimed by this process: what the first fenced transaction expects. */
    claimed: string | null;
    fullSyncInterrupted?: boolean;
    /**
     * The destination fails over (a Sentinel-managed one): writes it confirmed can be lost with its old master, so
     * only its own checkpoint, replicated in the same transactions as the writes, says what it holds.
     */
    failsOver?: boolean;
  }) | null;
  /**
   * A cluster destination's copy of the checkpoint (its writes cannot share a transaction with it): saved with the
   * local one, and what a restart trusts, so a destination that is not the one the task wrote is never resumed.
   */
  clusterCheckpoint: { value: string | null; save(value: string): Promise<void> } | null;
  /**
   * A cluster destination written exactly once (node-batches.ts): the plan of this attempt's node batches, the keys of
   * earlier attempts with their claims, and how to delete those no longer needed. null: at-least-once.
   */
  nodeBatches: { plan: NodeBatchPlan; script: Buffer; records: ClaimRecord[]; dropKeys(keys: string[]): Promise<void> } | null;
  /** This process's token (the lease's writer), written into every checkpoint. */
  writerToken: string;
  /** PTTL of keys on the source (in a source db), for repairing TTLs replayed after an outage; absent: no repair. */
  readSourcePttls?(db: number, keys: Buffer[]): Promise<number[]>;
  /** Called when the stream stops for good (a destination error, an unsupported command) or the link fails. */
  onFailure(err: Error, retryable: boolean): void;
  onStateChange(): void;
}

export class NodeSync implements ReplicaLinkHandler {
  private link: ReplicaLink | null = null;
  private readonly filter: CommandFilter;
  private readonly keys: KeyFilter;
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
  private readonly batch: TxBatch | null;
  private readonly nodes: NodeBatches | null;
  /** The replid of the checkpoint the stream resumes from (a failover's new replid continues its offsets). */
  private resumedFrom: string | null = null;
  private closeScheduled = false;
  /** A command is being applied outside the stream's order of batches (RENAME or colocated across slots, a flush). */
  private exclusive = false;
  /** Where the stream stood before the command being processed. */
  private beforeOffset = 0;
  private beforeDb = 0;
  private checkpointFix: Promise<void> = Promise.resolve();
  /** Stops the reader while the writer is over its bounds: a big value then waits in its RDB bytes, not in commands. */
  private readonly rdbSink = (e: RdbEntry): boolean => {
    this.snapshot.apply(e);
    return !this.paused;
  };
  /** The RDB ended while the reader was stopped with bytes left: finished once it has caught up. */
  private rdbEndPending = false;
  private readonly snapshot: SnapshotWriter;
  private hadCheckpoint = false;
  /** The source db at the resume position, from the checkpoint (undefined: not recorded, the stream starts in 0). */
  private resumeDb: number | undefined = undefined;
  /** SELECTs seen but not yet covered by a saved checkpoint: the db in effect from each offset on. */
  private readonly dbChanges: Array<{ offset: number; db: number }> = [];
  /** The db in effect at the last checkpointed offset. */
  private checkpointDb = -1;
  private readonly dialect: Dialect;
  private readonly clock: SourceClock;
  private readonly unsupported: UnsupportedData;
  /** Keys of relative expiries replayed with an uncertain clock (null: no heartbeat or no source reads). */
  private readonly ttlRepair: TtlRepair | null;

  constructor(private readonly d: NodeSyncDeps) {
    const t = d.task;
    this.dialect = d.destination ?? dialectForRdbVersion(d.destinationRdbVersion);
    this.clock = new SourceClock(t.heartbeat.intervalMs);
    this.ttlRepair = t.heartbeat.enabled && d.heartbeatKey && d.readSourcePttls ? new TtlRepair(d.readSourcePttls) : null;
    this.unsupported = new UnsupportedData((t.spec.ignorePrechecks ?? []).includes(UNSUPPORTED_DATA_CHECK), d.log, d.node);
    this.heartbeatKey = t.heartbeat.enabled && d.heartbeatKey ? Buffer.from(d.heartbeatKey) : null;
    this.keys = new KeyFilter(t.spec.keyFilter, t.spec.keyRenames);
    this.filter = new CommandFilter({ databases: t.databases, mapDb: t.mapDb, heartbeatKey: this.heartbeatKey, forwardPublish: t.forwardPublish, keys: this.keys });
    this.snapshot = new SnapshotWriter({
      node: d.node, task: t, log: d.log, keys: this.keys, wantsDb: (db) => this.filter.wants(db), destination: this.dialect,
      destinationRdbVersion: d.destinationRdbVersion, unsupported: this.unsupported, functions: d.functions,
      clusterDestination: d.clusterDestination !== null, progress: () => d.status.fullSync, rdbVersion: () => this.reader?.rdbVersion ?? 0,
      write: (db, key, cmd) => this.write(db, key, cmd),
    });
    const dc = d.destinationCheckpoint;
    this.batch = dc ? new TxBatch((db, cmd, offset) => this.write(db, null, cmd, offset), dc) : null;
    this.batch?.setExpected(dc!.claimed);
    const nb = d.nodeBatches;
    this.nodes = nb ? new NodeBatches((key, cmd, offset) => this.write(0, key, cmd, offset), nb.plan) : null;
    // The writer loads the script before its first EVALSHA on each master (NOSCRIPT), from the task's script bodies.
    if (nb) d.scripts.observe([Buffer.from('SCRIPT'), Buffer.from('LOAD'), nb.script]);
    d.writer.on('applied', (offset) => this.onApplied(offset));
    d.writer.on('failed', (f) => this.onWriterFailed(f));
    d.writer.on('drain', () => this.resumeIfPaused());
  }

  /** The node checkpoint keys this attempt writes (registered before it starts); none unless node batches. */
  get nodeCheckpointKeys(): string[] {
    return this.nodes?.keys ?? [];
  }

  async start(): Promise<void> {
    const position = this.resumePosition();
    this.resumeDb = position?.db;
    this.resumedFrom = position?.replid ?? null;
    // A full sync that was interrupted left keys of an older snapshot: they are the task's, and must go first.
    this.hadCheckpoint = position !== null || (this.d.destinationCheckpoint?.fullSyncInterrupted ?? false) || isFullSyncMarker(this.d.clusterCheckpoint?.value ?? null);
    this.d.log.info({ node: this.d.node, psync: position ?? 'full' }, position ? `PSYNC ${position.replid} ${position.offset + 1}` : 'PSYNC ? -1');
    this.link = await this.d.openLink(this, position);
    let ticks = 0;
    this.checkpointTimer = setInterval(() => {
      void this.saveCheckpoint();
      if (this.nodes && ++ticks % 5 === 0 && this.d.status.state === 'Synchronizing') this.claimAllNodes(this.d.status.receivedOffset);
    }, 200);
    this.checkpointTimer.unref();
  }

  /**
   * The checkpoint kept in the destination is exact (written in the same transaction as the writes); the local file
   * can only be ahead of it by dropped commands (PINGs, heartbeats), which are safe to skip.
   */
  private resumePosition(): (PsyncPosition & { db?: number }) | null {
    const local = this.d.checkpoint.get(this.d.streamId);
    const dc = this.d.destinationCheckpoint;
    const cc = this.d.clusterCheckpoint;
    if (cc) {
      const remote = decodeCheckpoint(cc.value);
      if (!remote) {
        if (local) this.d.log.warn({ node: this.d.node }, 'the destination cluster has no checkpoint of this task: full sync');
        return null;
      }
      const saved = local && local.replid === remote.replid && local.offset > remote.offset ? { replid: local.replid, offset: local.offset, db: local.db } : remote;
      // What the slots hold, when lower: a destination master that failed over may have lost writes it confirmed.
      const held = this.nodes?.applied.lowestOf(saved.replid);
      if (held && held.offset < saved.offset) {
        this.d.log.warn({ node: this.d.node, saved: saved.offset, held: held.offset }, 'the destination\'s slots hold less than the checkpoint saved from its confirmations (a master failed over): resuming from what they hold');
        return { replid: saved.replid, offset: held.offset, db: held.db < 0 ? undefined : held.db };
      }
      return saved;
    }
    if (dc) {
      // A destination without our checkpoint is not the one we wrote to (or was emptied): only a full sync is safe.
      if (!dc.value) {
        if (local) this.d.log.warn({ node: this.d.node }, 'the destination has no checkpoint of this task: full sync');
        return null;
      }
      if (dc.failsOver) return dc.value;
      return local && local.replid === dc.value.replid && local.offset > dc.value.offset ? { replid: local.replid, offset: local.offset, db: local.db } : dc.value;
    }
    return local ? { replid: local.replid, offset: local.offset, db: local.db } : null;
  }

  /** Flushes what is in flight, saves the checkpoint and closes the link. */
  async stop(): Promise<void> {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.link?.pause();
    try {
      await this.d.writer.flush();
    } catch { /* the failure is already reported */ }
    await this.checkpointFix;
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
    this.dbChanges.length = 0;
    this.checkpointDb = -1;
    this.reader = new RdbReader({ bigKeyBytes: this.d.task.tuning.bigKeyBytes });
    s.state = 'Initializing';
    s.replid = replid;
    s.lastSync = 'full';
    s.fullSync = { ...emptyProgress(), startedAt: new Date().toISOString() };
    s.receivedOffset = offset;
    this.d.log.info({ node: this.d.node, replid, offset }, '+FULLRESYNC: full sync starts');
    if (this.nodes) {
      this.nodes.applied.clear();
      this.dropNodeCheckpoints(() => true);
    }
    const clear = this.hadCheckpoint ? this.clearDestination() : { commands: [], pending: null };
    const dc = this.d.destinationCheckpoint;
    // The snapshot waits until the destination is cleared and the marker committed: a daemon that is not the owner
    // (its marker fenced) writes no key, and no key is written before a clearing that would delete it.
    const waits: Array<Promise<unknown>> = clear.pending ? [clear.pending] : [];
    if (this.batch && dc) {
      this.batch.setCheckpoint(`${FULL_SYNC_MARKER} ${dc.writer}`, clear.commands);
      waits.push(this.d.writer.flush());
    } else for (const f of clear.commands) this.write(f.db, null, f.command);
    if (waits.length) {
      this.link?.pause();
      Promise.all(waits).then(() => { if (!this.paused) this.link?.resume(); }, () => undefined);
    }
    this.d.clusterCheckpoint?.save(`${FULL_SYNC_MARKER} ${this.d.writerToken}`).catch((err: Error) => this.fail(err, true));
    this.d.onStateChange();
  }

  /**
   * A full sync after an earlier one (the source's backlog no longer held our offset): keys deleted on the source
   * meanwhile would survive on the destination, so the synchronized databases are emptied first, but only when the
   * destination was empty when the task began (existingData: precheckAndReportErrors), so that every key there is ours.
   */
  private clearDestination(): { commands: Array<{ db: number; command: Buffer }>; pending: Promise<void> | null } {
    if ((this.d.task.spec.existingData ?? 'precheckAndReportErrors') === 'ignoreErrorsAndProceed') {
      this.d.log.warn({ node: this.d.node }, 'full resync over existing data: keys deleted on the source meanwhile stay on the destination (existingData is ignoreErrorsAndProceed)');
      return { commands: [], pending: null };
    }
    if (this.d.sourceSlots) {
      // Other masters' keys are not ours to clear: only this master's slots, before its snapshot is written.
      const pending = this.d.flushSlots(this.d.sourceSlots).then(() => undefined, (err: Error) => { this.fail(err, true); throw err; });
      return { commands: [], pending };
    }
    const dbs = this.d.task.databases;
    this.d.log.info({ node: this.d.node, databases: dbs ?? 'all' }, 'full resync: emptying the synchronized databases on the destination first');
    if (dbs === null) return { commands: [{ db: 0, command: encodeCommand(['FLUSHALL']) }], pending: null };
    return { commands: dbs.map((db) => ({ db: this.d.task.mapDb(db), command: encodeCommand(['FLUSHDB']) })), pending: null };
  }

  onRdbStart(bytesTotal: number | null): void {
    this.d.status.fullSync.bytesTotal = bytesTotal;
  }

  onRdbData(chunk: Buffer): void {
    if (this.failed || !this.reader) return;
    this.d.status.fullSync.bytesDone += chunk.length;
    try {
      // Through the sink, so a value that turns big is written part by part rather than decoded whole first.
      this.reader.push(chunk, this.rdbSink);
      // Each chunk's strings go out now: holding them for the next chunk would only add latency.
      this.snapshot.flush();
    } catch (err) {
      this.fail(err as Error, false);
    }
  }

  onRdbEnd(): void {
    if (this.failed || !this.reader) return;
    if (this.reader.isStalled) {
      this.rdbEndPending = true;
      return;
    }
    this.rdbEndPending = false;
    try {
      for (const e of this.reader.end()) this.snapshot.apply(e);
      this.snapshot.flush();
    } catch (err) {
      this.fail(err as Error, false);
      return;
    }
    this.reader = null;
    if (this.batch && this.replid) this.batch.setCheckpoint(this.batch.valueFor(this.replid, this.fullSyncOffset));
    if (this.nodes) this.claimAllNodes(this.fullSyncOffset);
    this.d.writer.flush().then(() => {
      const s = this.d.status;
      s.fullSync.finishedAt = new Date().toISOString();
      s.appliedOffset = this.fullSyncOffset;
      const mem = process.memoryUsage();
      this.d.log.info({ node: this.d.node, keys: s.fullSync.keysDone, bytes: s.fullSync.bytesDone, rssMb: Math.round(mem.rss / 1048576), heapMb: Math.round(mem.heapUsed / 1048576), externalMb: Math.round(mem.external / 1048576) }, 'full sync done');
      this.enterSynchronizing();
      this.saveCheckpoint();
    }, (err: Error) => this.fail(err, false));
  }

  // ---- incremental sync ----

  onContinue(replid: string, offset: number): void {
    const s = this.d.status;
    this.replid = replid;
    this.offsets.reset(offset);
    // The stream goes on in the db it was in at the checkpoint: the master sends no SELECT after +CONTINUE.
    if (this.resumeDb !== undefined) this.filter.resumeIn(this.resumeDb);
    this.dbChanges.length = 0;
    this.checkpointDb = this.filter.currentDb;
    s.replid = replid;
    s.lastSync = 'continue';
    if (this.nodes) {
      const replids = this.resumedFrom ? [this.resumedFrom, replid] : [replid];
      this.nodes.applied.continueAt(offset, replids);
      this.claimAllNodes(offset);
      // Once this attempt's claims cover every slot, the keys whose claims are all behind them are not needed.
      this.d.writer.flush().then(() => this.dropNodeCheckpoints((c) => c.offset <= offset || !replids.includes(c.replid)), () => undefined);
    }
    s.appliedOffset = s.receivedOffset = offset;
    this.d.log.info({ node: this.d.node, replid, offset }, '+CONTINUE: partial resync from the checkpoint, no full sync');
    this.enterSynchronizing();
    this.saveCheckpoint();
  }

  /**
   * Every node of the destination claims the stream up to `offset` (a script with no write). Also every second: a
   * node the stream does not write to still moves its claim on, so a restart never resumes from far behind.
   */
  private claimAllNodes(offset: number): void {
    const nodes = this.nodes!;
    if (this.exclusive || this.inMulti || this.failed || !this.replid) return;
    if (!nodes.isOpen) nodes.offset = Math.max(nodes.offset, offset);
    nodes.claimAll();
    this.closeBatch();
  }

  /** Node checkpoints of earlier attempts whose claims `useless` says no restart needs: deleted, best effort. */
  private dropNodeCheckpoints(useless: (claim: NonNullable<ClaimRecord['claim']>) => boolean): void {
    const nb = this.d.nodeBatches!;
    const keys = nb.records.filter((r) => r.claim === null || useless(r.claim)).map((r) => r.key);
    nb.dropKeys(keys).catch((err: Error) => this.d.log.warn({ node: this.d.node, err: err.message }, 'could not delete node checkpoints no longer needed'));
  }

  private enterSynchronizing(): void {
    this.d.status.state = 'Synchronizing';
    this.d.status.retryingSince = null;
    this.d.onStateChange();
  }

  onCommand(stream: StreamCommand): void {
    if (this.failed) return;
    const wait = this.d.migratedKeys?.waitBefore(this.d.streamId, stream);
    if (!wait) {
      this.process(stream);
      return;
    }
    // A key a reshard moves: the old owner's DEL, seen in its stream, is applied before this RESTORE.
    this.exclusive = true;
    this.link?.pause();
    void wait.then(() => {
      this.exclusive = false;
      this.process(stream);
      if (!this.paused) this.link?.resume();
    });
  }

  private process(stream: StreamCommand): void {
    if (this.failed) return;
    this.beforeOffset = this.d.status.receivedOffset;
    this.beforeDb = this.filter.currentDb;
    this.d.status.receivedOffset = stream.offset;
    this.d.scripts.observe(stream.argv);
    const cmd = this.d.migratedKeys ? this.d.migratedKeys.observe(this.d.streamId, stream) : stream;
    if (!cmd) {
      // The DEL of keys a reshard moved to another master, whose stream restored them already.
      this.dropped(stream.offset);
      return;
    }
    const r = this.filter.apply(cmd);
    const db = this.filter.currentDb;
    if (db !== (this.dbChanges.at(-1)?.db ?? this.checkpointDb)) this.dbChanges.push({ offset: cmd.offset, db });
    switch (r.action) {
      case 'forward': {
        if (isInternalCommand(cmd.argv)) {
          this.dropped(cmd.offset);
          return;
        }
        if ((this.d.sourceSlots || this.nodes) && isFlush(cmd.argv[0])) {
          void this.flushOwnSlots(cmd.offset);
          return;
        }
        if (this.unsupported.isSkipped(this.filter.currentDb, cmd.argv[1])) {
          this.dropped(cmd.offset);
          return;
        }
        const writes = isFunctionCommand(cmd.argv)
          ? this.snapshot.functionWrites(this.d.functions.command(this.d.node, cmd.argv), cmd.offset).map((command) => ({ db: r.writes[0]?.db ?? 0, command }))
          : r.writes;
        if (writes.length === 0) {
          this.dropped(cmd.offset);
          return;
        }
        const t = dialectWrites(cmd, writes, this.dialect, this.clock);
        if (t.kind === 'unsupported') {
          const key = t.keyless ? null : cmd.argv[1] ?? null;
          if (this.unsupported.trySkip(t.what, this.filter.currentDb, key, cmd.offset)) {
            // What earlier commands wrote of the key goes: a skipped key is not on the destination at all.
            if (key && writes.length) {
              const named = this.keys.rename(this.filter.currentDb, key);
              this.forward([{ db: writes[0].db, key: named, command: encodeCommand(['DEL', named]) }], cmd.offset);
            } else this.dropped(cmd.offset);
          } else this.fail(new StreamError(`${t.what}: the destination (${serverLabel(this.dialect.server)}) cannot apply it (key "${key?.toString('utf8') ?? ''}", source ${this.d.node}, offset ${cmd.offset}); list ${UNSUPPORTED_DATA_CHECK} in ignorePrechecks to skip such keys`, cmd.offset, cmd.argv[0].toString()), false);
          return;
        }
        if (t.translated && this.ttlRepair && this.clock.uncertain() && isRelativeExpiry(cmd.argv)) this.ttlRepair.note(this.filter.currentDb, cmd.argv[1]);
        if (this.d.clusterDestination) this.forwardToCluster(cmd, t.writes);
        else this.forward(t.writes, cmd.offset);
        return;
      }
      case 'heartbeat':
        this.clock.heartbeat(Number(r.value));
        this.lag.seen(cmd.offset, r.value);
        if (this.ttlRepair?.pending && !this.clock.uncertain()) void this.repairTtls(this.ttlRepair, cmd.offset);
        else this.dropped(cmd.offset);
        return;
      case 'multi':
      case 'exec':
        // Inside our own batch transaction the source's MULTI/EXEC are dropped: the batch is atomic already.
        // A cluster destination applies them command by command (the result is exact, only atomicity is lost).
        this.inMulti = r.action === 'multi';
        if (this.batch || this.d.clusterDestination) this.dropped(cmd.offset);
        else this.forward([{ db: this.d.task.mapDb(Math.max(this.filter.currentDb, 0)), command: cmd.raw }], cmd.offset);
        return;
      case 'unsupported':
        this.fail(new StreamError(`${r.message} (source ${this.d.node}, offset ${cmd.offset})`, cmd.offset), false);
        return;
      case 'skip':
        this.dropped(cmd.offset);
        return;
    }
  }

  private forwardToCluster(cmd: StreamCommand, writes: DbCommand[]): void {
    // The usual case is the command itself (with its keys renamed: argv). Writes the filter rewrote (MOVE into DEL,
    // RESTORE with REPLACE, FLUSHALL into FLUSHDB) are routed by their own keys: sent keyless, a keyed write went to
    // every master and came back MOVED from the others, re-sent after the key's later commands.
    const w = writes[0];
    const routed = writes.length === 1 && (w.argv || w.command === cmd.raw)
      ? routeForCluster(w.argv ?? cmd.argv, w.command, cmd.offset)
      : routeRewritten(writes.map((w) => w.command), cmd.offset);
    switch (routed.kind) {
      case 'writes':
        if (this.nodes) this.forwardToNodes(cmd, routed.writes);
        else this.forward(routed.writes.map((w) => ({ db: 0, key: w.key, command: w.command })), cmd.offset);
        return;
      case 'rename':
        void this.renameAcrossSlots(routed.from, routed.to, cmd.offset);
        return;
      case 'colocate':
        void (this.nodes ? this.colocateExactly(routed.argv, cmd.offset) : this.colocateAcrossSlots(routed.argv, cmd.offset));
        return;
      case 'crossslot':
        this.fail(new StreamError(`${routed.message} (source ${this.d.node})`, cmd.offset, cmd.argv[0].toString()), false);
    }
  }

  /**
   * Each write into its node's batch, unless its slot applied it before a crash. A keyless write (FUNCTION, PUBLISH)
   * or one too long for a script goes outside the batches, after them: at-least-once.
   */
  private forwardToNodes(cmd: StreamCommand, writes: RoutedWrite[]): void {
    const nodes = this.nodes!;
    if (writes.some((w) => w.key === null || !NodeBatches.fits(w.command))) {
      this.forward(writes.map((w) => ({ db: 0, key: w.key, command: w.command })), cmd.offset);
      return;
    }
    let added = false;
    const before = this.before();
    try {
      for (const w of writes) if (nodes.addUnlessApplied(w.key!, w.command, before, cmd.offset)) added = true;
    } catch (err) {
      this.fail(err as Error, true);
      return;
    }
    if (!added) {
      this.dropped(cmd.offset);
      return;
    }
    nodes.offset = cmd.offset;
    this.d.status.commandsApplied++;
    this.scheduleBatchClose();
  }

  /**
   * Writes of one command that must be applied before the stream goes on (a RENAME or a colocated command across
   * slots), in node batches that claim `claimAt`, then confirmed.
   */
  private async applyInBatches(writes: RoutedWrite[], before: StreamPosition, claimAt: number): Promise<void> {
    const nodes = this.nodes!;
    for (const w of writes) nodes.add(w.key!, w.command, before);
    nodes.offset = claimAt;
    this.closeBatch();
    await this.d.writer.flush();
  }

  /**
   * Caught up after replaying relative expiries with an uncertain clock: their keys' TTLs as the source has them now
   * are written at this point of the stream (later commands that change them come after, as on the source).
   */
  private async repairTtls(repair: TtlRepair, offset: number): Promise<void> {
    this.exclusive = true;
    this.link?.pause();
    let writes: Array<DbCommand & { key: Buffer }> = [];
    try {
      writes = await repair.writes(this.d.task.mapDb, (db, key) => this.keys.rename(db, key));
      this.d.log.info({ node: this.d.node, offset, keys: writes.length, notRepaired: repair.overflow }, 'relative expiries replayed after an outage: TTLs set again from the source');
      repair.overflow = 0;
    } catch (err) {
      this.d.log.warn({ node: this.d.node, err: (err as Error).message }, 'could not read TTLs back from the source after an outage: replayed expiries keep a TTL based on the last heartbeat');
    }
    if (this.failed) return;
    if (writes.length) this.forward(writes, offset);
    else this.dropped(offset);
    this.exclusive = false;
    if (!this.paused) this.link?.resume();
  }


  /**
   * A command applied on its own, out of the stream's order of batches (a flush, a RENAME or a colocated command
   * across slots): the stream pauses, everything before it is applied first, then `body` runs; a failure stops the
   * stream with `failed(reason)` as its message.
   */
  private async applyAside(offset: number, retryable: boolean, failed: (reason: string) => string, body: () => Promise<void>): Promise<void> {
    this.exclusive = true;
    this.link?.pause();
    this.closeBatch();
    try {
      await this.d.writer.flush();
      await body();
    } catch (err) {
      this.fail(new StreamError(failed((err as Error).message), offset), retryable);
      return;
    }
    this.exclusive = false;
    if (!this.paused) this.link?.resume();
  }

  /**
   * FLUSHALL/FLUSHDB on one master of a cluster source: only its slots are emptied on the destination. From a
   * standalone source into a cluster written exactly once, every slot's data keys (the task's own keys stay).
   */
  private flushOwnSlots(offset: number): Promise<void> {
    return this.applyAside(offset, true, (why) => `FLUSHALL/FLUSHDB at offset ${offset}: emptying the master's slots on the destination failed: ${why}`, async () => {
      const n = await this.d.flushSlots(this.d.sourceSlots ?? [[0, 16383]]);
      this.d.log.info({ node: this.d.node, offset, deleted: n }, this.d.sourceSlots ? 'FLUSHALL/FLUSHDB on a source master: deleted the keys of its slots on the destination' : 'FLUSHALL/FLUSHDB: deleted the keys of every slot on the destination');
      this.dropped(offset);
      // Never replayed after what follows it: a restart resumes past it (node batches claim per slot, not the flush).
      if (this.nodes) await this.saveCheckpoint();
    });
  }

  /**
   * RENAME across slots, redone from the destination's copy of the key: everything before it is applied first, then
   * DUMP + RESTORE under the new name (with the TTL) + DEL. The stream waits meanwhile so order is kept.
   */
  private renameAcrossSlots(from: Buffer, to: Buffer, offset: number): Promise<void> {
    const before = this.before();
    const nodes = this.nodes;
    return this.applyAside(offset, false, (why) => `RENAME of a key across slots at offset ${offset} failed: ${why}`, async () => {
      // Written exactly once: the new name first, claimed only up to the command before (so that a restart does it
      // again from the old name, still there), then the old name's DEL. Its slot holding the DEL means all is done.
      if (nodes && nodes.wasApplied(from, offset)) {
        this.dropped(offset);
        return;
      }
      const { payload, pttl } = await this.d.clusterDestination!.dumpKey(from);
      const writes: RoutedWrite[] = restoreAs(to, { payload, pttl }).map((command) => ({ key: to, command }));
      const del: RoutedWrite = { key: from, command: encodeCommand(['DEL', from]) };
      if (!nodes) {
        this.forward([...writes, del].map((w) => ({ db: 0, key: w.key, command: w.command })), offset);
        return;
      }
      if (!nodes.wasApplied(to, offset)) await this.applyInBatches(writes, before, before.offset);
      await this.applyInBatches([del], before, offset);
    });
  }

  private colocateFailed(argv: Buffer[], offset: number): (why: string) => string {
    return (why) => `${argv[0].toString('latin1').toUpperCase()} across slots at offset ${offset} failed: ${why}`;
  }

  /** Each key of a colocated command copied to its temporary twin (which is deleted when the key does not exist). */
  private async copyToTemps(plan: ColocatePlan): Promise<void> {
    const originals = await Promise.all(plan.copies.map((c) => this.d.clusterDestination!.dumpKey(c.key)));
    plan.copies.forEach((c, i) => { for (const command of restoreAs(c.temp, originals[i])) this.write(0, c.temp, command); });
  }

  /**
   * A multi-key command across slots run on copies of its keys in one slot (cluster/colocate.ts): everything before it
   * is applied first, then the copies and the command, then what it wrote is copied back. The stream waits meanwhile.
   */
  private colocateAcrossSlots(argv: Buffer[], offset: number): Promise<void> {
    return this.applyAside(offset, false, this.colocateFailed(argv, offset), async () => {
      const plan = colocatePlan(argv, this.d.task.id, offset);
      await this.copyToTemps(plan);
      this.write(0, plan.copies[0].temp, plan.command);
      await this.d.writer.flush();
      const results = await Promise.all(plan.written.map((w) => this.d.clusterDestination!.dumpKey(w.temp)));
      const writes: RoutedWrite[] = plan.written.flatMap((w, i) => restoreAs(w.key, results[i]).map((command) => ({ key: w.key, command })));
      for (const c of plan.copies) writes.push({ key: c.temp, command: encodeCommand(['DEL', c.temp]) });
      this.forward(writes.map((w) => ({ db: 0, key: w.key, command: w.command })), offset);
    });
  }

  /**
   * colocateAcrossSlots, exactly once: the command runs on the copies in one MULTI with a marker key of their slot,
   * so a restart finds either the untouched originals (no marker: it starts over) or the results (marker: it copies
   * them back). What it writes back is claimed only up to the command before; the copies' deletion claims the command,
   * so a restart whose copies' slot holds it has nothing left to do.
   */
  private colocateExactly(argv: Buffer[], offset: number): Promise<void> {
    const before = this.before();
    const nodes = this.nodes!;
    return this.applyAside(offset, false, this.colocateFailed(argv, offset), async () => {
      const plan = colocatePlan(argv, this.d.task.id, offset);
      const home = plan.copies[0].temp;
      if (nodes.wasApplied(home, offset)) {
        this.dropped(offset);
        return;
      }
      const dumper = this.d.clusterDestination!;
      if (!(await dumper.dumpKey(plan.marker)).payload) {
        await this.copyToTemps(plan);
        for (const command of [encodeCommand(['MULTI']), plan.command, encodeCommand(['SET', plan.marker, '1']), encodeCommand(['EXEC'])]) this.write(0, home, command);
        await this.d.writer.flush();
      }
      const results = await Promise.all(plan.written.map((w) => dumper.dumpKey(w.temp)));
      const back = plan.written.flatMap((w, i) => (nodes.wasApplied(w.key, offset) ? [] : restoreAs(w.key, results[i]).map((command) => ({ key: w.key, command }))));
      if (back.length) await this.applyInBatches(back, before, before.offset);
      const temps = [...plan.copies.map((c) => c.temp), plan.marker].map((key) => ({ key, command: encodeCommand(['DEL', key]) }));
      await this.applyInBatches(temps, before, offset);
    });
  }

  private forward(writes: Array<DbCommand & { key?: Buffer | null }>, offset: number): void {
    // Outside the node batches: after what they hold.
    if (this.nodes?.isOpen) this.closeBatch();
    if (this.batch) {
      for (const w of writes) {
        if (w.argv && isPlainSet(w.argv)) this.batch.addSet(w.db, w.argv[1], w.argv[2], w.command, this.beforeOffset, this.beforeDb);
        else this.batch.add(w.db, w.command, this.beforeOffset, this.beforeDb);
      }
      this.batch.offset = offset;
      this.d.status.commandsApplied++;
      this.scheduleBatchClose();
      return;
    }
    // Inside a source transaction nothing is applied until EXEC, so only what is outside one is tagged.
    const tag = !this.inMulti;
    for (let i = 0; i < writes.length; i++) {
      const last = i === writes.length - 1;
      this.write(writes[i].db, writes[i].key ?? null, writes[i].command, last && tag ? offset : undefined);
    }
    if (tag) this.offsets.forwarded(offset);
    this.d.status.commandsApplied++;
  }

  /** Where the stream stood before the command being processed, as a value that outlives it. */
  private before(): StreamPosition {
    return { offset: this.beforeOffset, db: this.beforeDb };
  }

  private dropped(offset: number): void {
    const open = this.batch ?? this.nodes;
    if (open?.isOpen) {
      open.offset = offset;
      return;
    }
    if (!this.inMulti && this.offsets.dropped(offset)) this.publishApplied();
  }

  /** A batch takes what one socket read delivered (closed after the current I/O callbacks), or MAX_BATCH_COMMANDS. */
  private scheduleBatchClose(): void {
    if ((this.batch ?? this.nodes)!.full && !this.inMulti) {
      this.closeBatch();
      return;
    }
    if (this.closeScheduled) return;
    this.closeScheduled = true;
    setImmediate(() => {
      this.closeScheduled = false;
      if (this.inMulti) this.scheduleBatchClose();
      else this.closeBatch();
    });
  }

  private closeBatch(): void {
    if (this.failed || !this.replid || !(this.batch || this.nodes)) return;
    // The batch ends with the last command processed, so the filter's db is the db at the batch's offset.
    const offset = this.batch ? this.batch.close(this.replid, this.filter.currentDb) : this.nodes!.close(this.replid, this.filter.currentDb);
    if (offset !== null) this.offsets.forwarded(offset);
  }

  private write(db: number, key: Buffer | null, command: Buffer, offset?: number): void {
    let ok: boolean;
    try {
      ok = this.d.writer.write(db, key, command, offset);
    } catch (err) {
      // The writer throws its failure once it stopped: a lost connection stays worth a retry (the next attempt also
      // checks the lease, so a daemon whose connections a new owner closed stops there, saying so).
      this.fail(err as Error, (err as Error).name === 'ConnectionLostError');
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
    // A command applied out of the stream's order of batches resumes the link itself when it is done.
    if (this.exclusive) return;
    if (this.reader?.isStalled && !this.failed) {
      try {
        this.reader.resume(this.rdbSink);
        this.snapshot.flush();
      } catch (err) {
        this.fail(err as Error, false);
        return;
      }
      if (this.paused) return;
      if (this.rdbEndPending) this.onRdbEnd();
    }
    this.link?.resume();
  }

  /**
   * An error inside a batch's EXEC: Redis ran the rest of the batch, the checkpoint SET included, which now points
   * past the failed command. Moved back to just before it, so that after the destination is fixed a restart applies
   * the failed command again rather than skipping it (the commands after it in that batch are then applied twice).
   */
  private onWriterFailed(f: Error): void {
    const raw = (f as { raw?: Buffer | null }).raw;
    const pos = raw && this.batch ? this.batch.positionBefore(raw) : null;
    // Commands inside a batch carry no offset of their own (only its EXEC does): the status names the command's.
    const where = f as { offset?: number | null };
    if (pos && (where.offset === null || where.offset === undefined)) Object.assign(f, { offset: pos.offset });
    // An error while queueing (OOM, unknown command) discards the whole transaction: the checkpoint did not move.
    if (!(f as { inExec?: boolean }).inExec) return;
    const dc = this.d.destinationCheckpoint;
    if (!pos || !dc || !this.replid) return;
    const value = encodeCheckpoint({ replid: this.replid, offset: pos.offset, db: pos.db, writer: dc.writer });
    this.checkpointFix = this.d.setDestinationCheckpoint(value).then(
      () => this.d.log.warn({ node: this.d.node, offset: pos.offset }, 'destination error inside a batch: its checkpoint moved back to just before the failed command'),
      (err: Error) => this.d.log.error({ node: this.d.node, err: err.message }, 'could not move the destination checkpoint back before the failed command'),
    );
  }

  private onApplied(offset: number): void {
    this.batch?.confirmed(offset);
    if (this.offsets.confirmed(offset)) this.publishApplied();
  }

  private publishApplied(): void {
    const applied = this.offsets.applied;
    this.d.migratedKeys?.appliedOffset(this.d.streamId, applied);
    this.d.status.appliedOffset = applied;
    this.link?.setAppliedOffset(applied);
    if (this.lag.applied(applied)) {
      this.d.status.lagMs = this.lag.lastLagMs;
      this.d.status.lagPercentiles = this.lag.percentiles();
    }
  }

  /** Saved only for offsets the destination confirmed; a full sync in progress keeps the old checkpoint. */
  saveCheckpoint(): Promise<void> {
    const s = this.d.status;
    if (!this.replid || s.state !== 'Synchronizing' || this.inMulti) return Promise.resolve();
    const applied = this.offsets.applied;
    if (applied === this.checkpointedOffset) return Promise.resolve();
    while (this.dbChanges.length && this.dbChanges[0].offset <= applied) this.checkpointDb = this.dbChanges.shift()!.db;
    this.d.checkpoint.save(this.d.streamId, this.replid, applied, this.checkpointDb);
    this.checkpointedOffset = applied;
    const value = encodeCheckpoint({ replid: this.replid, offset: applied, db: this.checkpointDb, writer: this.d.writerToken });
    return this.d.clusterCheckpoint?.save(value).catch((err: Error) => this.d.log.warn({ node: this.d.node, err: err.message }, 'could not save the checkpoint on the destination cluster')) ?? Promise.resolve();
  }

  onNotice(message: string): void {
    this.d.log.warn({ node: this.d.node }, message);
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

/** A key made equal to a DUMP taken elsewhere: deleted, then restored with the TTL it had (nothing when it was absent). */
function restoreAs(key: Buffer, from: { payload: Buffer | null; pttl: number }): Buffer[] {
  const out = [encodeCommand(['DEL', key])];
  if (from.payload) out.push(encodeCommand(['RESTORE', key, from.pttl > 0 ? from.pttl : 0, from.payload, 'REPLACE']));
  return out;
}
