// Runs one task in this process: the daemon's body. Opens the destination writer and one NodeSync per source master,
// publishes the status, and on a lost connection retries with capped exponential backoff until the retry window
// (connectionRetryMinutes) runs out; every attempt resumes from the checkpoints.
import { hostname } from 'node:os';
import { hostAddresses } from '../state/host';
import type { TaskSpec, NodeAddress } from '../spec/types';
import { resolveTask, type ResolvedTask } from '../spec/resolve';
import { formatHostPort } from '../spec/address';
import { CheckpointStore } from '../state/checkpoint';
import { ensureDir, taskPaths, type TaskPaths } from '../state/files';
import { BackgroundFile } from '../state/background-file';
import { createLogger, type Logger } from '../state/logger';
import { newNodeStatus, overallState, type TaskStatus, type TaskState, type PrecheckItem } from '../state/status';
import { openWriter } from '../writer/open-writer';
import { discoverCluster, formatSlots, slotRangesOf } from '../cluster/topology';
import { heartbeatKeyForSlots } from '../cluster/heartbeat-key';
import { flushSlots } from '../cluster/slot-flush';
import { ScriptBodies } from './script-bodies';
import { FunctionLibraries } from './function-libraries';
import { withClient, controlClient, clusterClient, errorCause } from '../precheck/node-facts';
import type { Writer } from '../writer/writer';
import { dialectFor, type Dialect } from '../writer/dialect/dialect';
import { parseServerInfo } from '../writer/dialect/server-info';
import { NodeSync, type LinkFactory } from './node-sync';
import { Heartbeat } from './heartbeat';
import { openReplicaLink } from './open-link';
import { bestReplica, onlineReplicas } from '../source/replica-choice';
import { sentinelMaster } from '../sentinel/sentinel-master';
import { decodeCheckpoint, isFullSyncMarker } from './tx-batch';
import { checkpointKey, guardKey } from '../state/task-keys';
import { LeaseHeldError, newToken } from '../state/lease';
import { openMetaClient, type MetaClient } from '../state/meta-client';
import { WriteError } from '../writer/write-error';
import { writerClientName } from '../state/fence-clients';
import { LeaseKeeper } from './lease-keeper';
import { Takeover } from './takeover';
import { startMetricsServer } from '../metrics/server';
import { DriftCheck } from './drift-check';
import { readRdbFileInfo, type RdbFileInfo } from '../source/rdb-file';
import { FileLoad } from './file-load';
import { planFileAttempt, requireContinue, type FilePlan } from './file-source';
import { liveSource } from '../spec/resolve';
import { ClusterWriter } from '../writer/cluster-writer';
import { nodeBatchScript, nodeBatchSha } from './node-batch-script';
import { claimNodeCheckpoints, registerNodeCheckpoints, dropNodeCheckpoints, type StreamClaims } from './node-checkpoint-claims';
import { MigratedKeys } from './migrated-keys';

export interface RunOptions {
  stateDir: string;
  /** Tests inject a logger; the daemon logs to the state dir. */
  logToStderr?: boolean;
  prechecks?: PrecheckItem[];
  /** The lease owner (lease-keeper.ts); default: the supervisor's, or a new one. */
  owner?: string;
  /** A Sentinel-managed destination: its sentinels and master name, asked after a failed write (spec: its master). */
  destinationSentinel?: { nodes: NodeAddress[]; masterName: string };
  /** Called each time the task's state becomes Synchronizing (the daemon then yields the CPU: cpu-priority.ts). */
  onSynchronizing?: () => void;
}

interface Attempt {
  writers: Writer[];
  /** The source's streams, or the RDB file's load. */
  syncs: Array<{ stop(): Promise<void> }>;
  heartbeats: Heartbeat[];
  closers: Array<() => void>;
}

interface SourceStream {
  /**
   * Checkpoint identity: "standalone" or a cluster master's node id (that of the master whose history it continues:
   * a promoted replica carries on its old master's stream).
   */
  id: string;
  /** The cluster node id of the master now ("standalone" for others). */
  masterId: string;
  address: NodeAddress;
  /** Where the replication link connects: the master, or the replica of source.readFrom. */
  linkAddress: NodeAddress;
  name: string;
  slots: Array<[number, number]> | null;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class TaskRunner {
  readonly task: ResolvedTask;
  readonly paths: TaskPaths;
  readonly log: Logger;
  readonly status: TaskStatus;
  private readonly checkpoint: CheckpointStore;
  private readonly statusFile: BackgroundFile;
  private readonly scripts = new ScriptBodies();
  private attempt: Attempt | null = null;
  /** Attempts started by this process: part of the name of the node checkpoints each one writes. */
  private attempts = 0;
  /** Stream ids this process has run: a new master of the source cluster may continue one of them. */
  private readonly knownStreams = new Set<string>();
  /** A cluster source's keys restored by a reshard, shared by its streams and kept across attempts. */
  private readonly migratedKeys = new MigratedKeys();
  private stopping = false;
  private statusTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private failure: { err: Error; retryable: boolean } | null = null;
  /** This process's token: written into every checkpoint it writes, so the destination can fence it (fence.ts). */
  readonly writer = newToken();
  private readonly meta: MetaClient;
  private readonly lease: LeaseKeeper;
  private readonly takeover: Takeover;
  private publishedState: TaskState | null = null;
  private readonly destinationSentinel: RunOptions['destinationSentinel'];
  private readonly onSynchronizing: RunOptions['onSynchronizing'];
  /** The run ended because the sentinels name another destination master: run the task again there. */
  destinationMoved: string | null = null;
  /** An RDB file source: the file is loaded (set by the attempt that loaded it, or that found it loaded). */
  private fileLoaded = false;

  constructor(spec: TaskSpec, opts: RunOptions) {
    this.task = resolveTask(spec);
    this.paths = taskPaths(opts.stateDir, this.task.id);
    ensureDir(this.paths.dir);
    this.log = createLogger(opts.logToStderr ? null : this.paths.log);
    this.checkpoint = new CheckpointStore(this.paths.checkpoint);
    this.statusFile = new BackgroundFile(this.paths.status, false);
    const now = new Date().toISOString();
    this.status = {
      // Under a supervisor (provider/daemon/supervisor.ts) the daemon's pid, the one in daemon.pid, is the supervisor's.
      task: spec.name, id: this.task.id, host: hostname(), addresses: hostAddresses(), state: 'Initializing', pid: Number(process.env.REDIS_SYNC_SUPERVISOR_PID) || process.pid, startedAt: now, updatedAt: now,
      nodes: this.task.rdbFile !== null ? [newNodeStatus(this.task.rdbFile)] : this.task.sourceNodes.map((n) => newNodeStatus(formatHostPort(n))), lastError: null, prechecks: opts.prechecks ?? [],
    };
    this.meta = openMetaClient(spec.destination.mode, this.task.destinationNodes);
    this.lease = new LeaseKeeper(this.task, this.meta, this.writer, opts.stateDir, this.log, {
      status: () => JSON.stringify(this.status),
      lost: (message) => this.onFailure(Object.assign(new Error(message), { retryable: false }), false),
      stopRequested: () => {
        if (this.stopping) return;
        this.log.info({ task: this.task.id }, 'stop requested through the destination (pulumi destroy/update or redis-sync stop elsewhere)');
        this.stop();
      },
    }, opts.owner);
    this.takeover = new Takeover(this.task, this.writer, this.log);
    this.destinationSentinel = opts.destinationSentinel;
    this.onSynchronizing = opts.onSynchronizing;
  }

  /** Takes (or confirms) the task's lease; a stop requested for this daemon stops it instead. */
  private async acquireLease(): Promise<void> {
    if ((await this.lease.acquire()) === 'stop') {
      this.log.info({ task: this.task.id }, 'a stop was requested for this daemon: not starting');
      this.stop();
    }
  }

  /** Runs until stop() or until the task fails for good; resolves with the final state. */
  async run(): Promise<TaskState> {
    try {
      await this.acquireLease();
    } catch (err) {
      if (err instanceof LeaseHeldError) return this.endWithoutLease(err);
      // The destination is unreachable now: each attempt takes the lease before it writes.
    }
    this.writeStatus();
    this.statusTimer = setInterval(() => this.writeStatus(), 250);
    this.statusTimer.unref();
    const metrics = this.task.spec.metrics ? await startMetricsServer(() => this.status, this.task.spec.metrics.port, this.log) : null;
    const drift = new DriftCheck(this.task.spec, this.status, this.log);
    drift.start();
    let retryStartedAt: number | null = null;
    let backoff = BACKOFF_MIN_MS;
    for (let attemptNo = 1; !this.stopping; attemptNo++) {
      this.failure = null;
      try {
        await this.startAttempt();
        await this.waitForFailureOrStop();
      } catch (err) {
        this.failure ??= { err: err as Error, retryable: isRetryable(err as Error) };
      }
      await this.teardown();
      if (this.fileLoaded && !this.failure && !this.stopping) {
        this.fileLoaded = false;
        // Nothing follows the file: the task is done. Otherwise the next attempt continues with the source's stream.
        if (!liveSource(this.task.spec.source)) { this.status.state = 'Loaded'; break; }
        retryStartedAt = null;
        backoff = BACKOFF_MIN_MS;
        continue;
      }
      if (this.stopping || !this.failure) break;
      if (this.failure.retryable && (this.destinationMoved = await this.movedDestination()) !== null) break;
      // An attempt that got every stream synchronizing ended the previous outage: this failure starts a new retry
      // window with the shortest backoff (it must not be charged with the time since an outage long over).
      if (this.status.nodes.every((n) => n.state === 'Synchronizing')) { retryStartedAt = null; backoff = BACKOFF_MIN_MS; }
      const { err, retryable } = this.failure;
      const now = Date.now();
      retryStartedAt ??= now;
      if (!retryable || now - retryStartedAt > this.task.connectionRetryMs) {
        const retried = now - retryStartedAt;
        const span = retried < 120_000 ? `${(retried / 1000).toFixed(1)} s` : `${Math.round(retried / 60_000)} min`;
        const why = retryable ? `gave up after retrying for ${span} (connectionRetryMinutes: ${this.task.spec.connectionRetryMinutes ?? 720})` : 'not retryable';
        this.setFailed(err, why);
        break;
      }
      this.setRetrying(err, new Date(retryStartedAt).toISOString(), attemptNo);
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
    await drift.stop();
    await this.checkpoint.close();
    // Moved: the next runner takes over at once on the new master, from the checkpoint there.
    if (this.status.state !== 'Failed' && this.status.state !== 'Loaded' && !this.destinationMoved) this.status.state = 'Stopped';
    for (const n of this.status.nodes) if (n.state !== 'Failed') n.state = this.status.state;
    this.writeStatus();
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.statusFile.close();
    await this.lease.release();
    this.meta.disconnect();
    await metrics?.close();
    await new Promise<void>((r) => this.log.flush(() => r()));
    return this.status.state;
  }

  /** A stream's node batches into a cluster destination (node-batches.ts), grouped by the writer's slot table. */
  private nodeBatchDeps(stream: string, writer: ClusterWriter, destination: Dialect, claims: StreamClaims): NonNullable<ConstructorParameters<typeof NodeSync>[0]['nodeBatches']> {
    const script = nodeBatchScript(destination.server);
    const records = claims.get(stream) ?? [];
    return {
      plan: { taskId: this.task.id, stream, writer: this.writer, attempt: this.attempts, owner: writer.slotOwners(), sha: nodeBatchSha(script), claims: records.flatMap((r) => (r.claim ? [r.claim] : [])) },
      script, records,
      dropKeys: (keys) => dropNodeCheckpoints(this.meta, this.task.id, keys),
    };
  }

  /** The master the sentinels name now when it is not the one written (null: the same, not Sentinel, or no answer). */
  private async movedDestination(): Promise<string | null> {
    if (!this.destinationSentinel) return null;
    const now = await sentinelMaster(this.destinationSentinel.nodes, this.destinationSentinel.masterName, 'destination').catch(() => null);
    const current = formatHostPort(this.task.destinationNodes[0]);
    if (!now || formatHostPort(now) === current) return null;
    this.log.warn({ from: current, to: formatHostPort(now) }, 'the destination failed over: the task continues on the new master from the checkpoint there');
    return formatHostPort(now);
  }

  /** Graceful stop: flushes what is in flight, saves the checkpoints. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Another daemon runs the task: its status (maybe in this very state dir) is not this process's to touch. */
  private async endWithoutLease(err: LeaseHeldError): Promise<TaskState> {
    this.status.state = 'Failed';
    this.status.lastError = { message: err.message, at: new Date().toISOString() };
    this.log.error({ task: this.task.id }, err.message);
    this.meta.disconnect();
    await new Promise<void>((r) => this.log.flush(() => r()));
    return 'Failed';
  }

  private async startAttempt(): Promise<void> {
    // An RDB file source keeps one checkpoint ("standalone"), the file's and then its server's stream's; the server
    // is not needed (nor asked) while the file loads.
    const file = this.task.rdbFile !== null ? await readRdbFileInfo(this.task.rdbFile) : null;
    let streams = file ? null : await this.sourceStreams();
    if (streams) this.syncStatusNodes(streams);
    const ids = streams?.map((st) => st.id) ?? ['standalone'];
    const dest = this.task.destinationNodes[0];
    const clusterDest = this.task.spec.destination.mode === 'cluster';
    const checkpointDb = this.task.mapDb(this.task.databases?.[0] ?? 0);
    const keys = ids.map((id) => checkpointKey(this.task.id, id));
    const { dialect: destination, values } = await readDestination(dest, checkpointDb, clusterDest ? [] : keys);
    // After readDestination, whose errors name the node and say whether a retry can help. Every attempt checks the
    // lease again: a daemon that was paused and lost its connections must not come back as a writer.
    await this.acquireLease();
    if (this.stopping) return;
    await this.takeover.closeFormerWriters();
    const claimed = clusterDest ? [] : await this.takeover.claimCheckpoints(dest, checkpointDb, keys, values);
    const clusterValues = clusterDest ? await Promise.all(keys.map((k) => this.meta.get(k))) : [];
    const exact = clusterDest && this.task.tuning.clusterExactlyOnce && !file;
    const nodeClaims: StreamClaims | null = exact ? await claimNodeCheckpoints(this.meta, this.task.id, this.writer, ids) : null;
    this.attempts++;
    await this.takeover.refuseForeignDestination(clusterDest ? clusterValues : values, ids.some((id) => this.checkpoint.get(id) !== null));
    const attempt: Attempt = { writers: [], syncs: [], heartbeats: [], closers: [] };
    this.attempt = attempt;
    let plan: FilePlan | null = null;
    if (file) {
      plan = planFileAttempt(file, clusterDest ? clusterValues[0] : values[0], liveSource(this.task.spec.source) !== null);
      if (plan.kind === 'loaded') {
        this.log.info({ file: file.path }, 'the RDB file is loaded already (the destination\'s checkpoint is its end) and no stream follows: nothing to do');
        this.setFileLoaded();
        return;
      }
      if (plan.kind === 'load') {
        this.log.info({ file: file.path, why: plan.why }, plan.resumeAfter ? 'RDB file source: resuming an interrupted load' : 'RDB file source: loading the file');
        await this.startFileLoad(attempt, file, plan, { dest, checkpointDb, key: keys[0], claimed: claimed[0] ?? null, clusterDest, destination });
        return;
      }
      streams = await this.sourceStreams();
      this.continueAfterFile(streams[0].name);
    }
    if (!streams) return;
    const dumper = clusterDest ? this.destinationDumper(attempt) : null;
    // Per attempt: what an earlier attempt sent may not have been applied, and its streams replay from checkpoints.
    const functions = new FunctionLibraries();
    for (const [i, st] of streams.entries()) {
      // One writer per stream: each stream's transactions and applied offsets stay its own.
      const writer = await openWriter(this.task.spec.destination, { tuning: this.task.tuning, scriptBody: this.scripts.lookup, clientName: writerClientName(this.task.id, this.writer) });
      writer.on('failed', (f) => this.onFailure(f, isRetryable(f)));
      attempt.writers.push(writer);
      const link: LinkFactory = (handler, position) => openReplicaLink(st.linkAddress, handler, position, { maxArrayLength: this.task.tuning.maxCommandArgs });
      const openLink = file && plan?.kind === 'stream' && plan.fromFile ? requireContinue(link, st.name, file) : link;
      const heartbeatKey = st.slots ? heartbeatKeyForSlots(this.task.heartbeat.key, st.slots) : this.task.heartbeat.key;
      const sync = new NodeSync({
        node: st.name, streamId: st.id, task: this.task, writer, checkpoint: this.checkpoint, status: this.status.nodes[i],
        log: this.log, openLink, destinationRdbVersion: destination.rdbVersion, destination, heartbeatKey, clusterDestination: dumper, sourceSlots: st.slots, scripts: this.scripts, functions,
        migratedKeys: st.slots ? this.migratedKeys : null,
        flushSlots: (slots) => flushSlots({ mode: this.task.spec.destination.mode, nodes: this.task.destinationNodes }, this.task.mapDb(0), slots),
        destinationCheckpoint: clusterDest ? null : {
          key: keys[i], db: checkpointDb, guard: guardKey(this.task.id, this.writer), writer: this.writer,
          value: decodeCheckpoint(values[i]), claimed: claimed[i], fullSyncInterrupted: isFullSyncMarker(values[i]), failsOver: this.destinationSentinel !== undefined,
        },
        clusterCheckpoint: clusterDest ? { value: clusterValues[i], save: async (v) => { await this.meta.set(keys[i], v); } } : null,
        nodeBatches: nodeClaims && writer instanceof ClusterWriter ? this.nodeBatchDeps(st.id, writer, destination, nodeClaims) : null,
        writerToken: this.writer,
        setDestinationCheckpoint: (value) => withClient(dest, async (c) => { await c.select(checkpointDb); await c.set(keys[i], value); }),
        onFailure: (err, retryable) => this.onFailure(err, retryable),
        onStateChange: () => this.writeStatus(),
        readSourcePttls: (db, keys) => readPttls(st.address, db, keys),
      });
      attempt.syncs.push(sync);
      await registerNodeCheckpoints(this.meta, this.task.id, this.writer, sync.nodeCheckpointKeys);
      await sync.start();
      attempt.heartbeats.push(this.startHeartbeat(st.address, heartbeatKey));
    }
    if (this.task.spec.source.mode === 'cluster') this.watchTopology(attempt, streams);
  }

  /** The RDB file's load, into the destination's checkpoint key of the stream that may follow it ("standalone"). */
  private async startFileLoad(attempt: Attempt, file: RdbFileInfo, plan: Extract<FilePlan, { kind: 'load' }>, at: { dest: NodeAddress; checkpointDb: number; key: string; claimed: string | null; clusterDest: boolean; destination: Dialect }): Promise<void> {
    const writer = await openWriter(this.task.spec.destination, { tuning: this.task.tuning, scriptBody: this.scripts.lookup, clientName: writerClientName(this.task.id, this.writer) });
    writer.on('failed', (f) => this.onFailure(f, isRetryable(f)));
    attempt.writers.push(writer);
    const load = new FileLoad({
      file, streamId: 'standalone', task: this.task, writer, status: this.status.nodes[0], log: this.log, checkpoint: this.checkpoint,
      destination: at.destination, destinationRdbVersion: at.destination.rdbVersion, functions: new FunctionLibraries(), clusterDestination: at.clusterDest,
      batchTarget: at.clusterDest ? null : { key: at.key, db: at.checkpointDb, guard: guardKey(this.task.id, this.writer), writer: this.writer, claimed: at.claimed },
      saveClusterCheckpoint: at.clusterDest ? async (v) => { await this.meta.set(at.key, v); } : null,
      flushCluster: () => flushSlots({ mode: 'cluster', nodes: this.task.destinationNodes }, 0, [[0, 16383]]),
      writerToken: this.writer, resumeAfter: plan.resumeAfter, clear: plan.clear,
      onLoaded: () => this.setFileLoaded(),
      onFailure: (err, retryable) => this.onFailure(err, retryable),
      onStateChange: () => this.writeStatus(),
    });
    attempt.syncs.push(load);
    await load.start();
  }

  private setFileLoaded(): void {
    this.fileLoaded = true;
    this.wake?.();
  }

  /** The stream after the file: its status carries on the file's (the full sync was the file's load). */
  private continueAfterFile(name: string): void {
    const fileNode = this.status.nodes[0];
    if (fileNode.node === name) return;
    this.status.nodes = [{ ...newNodeStatus(name), fullSync: fileNode.fullSync, lastSync: fileNode.lastSync, replid: fileNode.replid, appliedOffset: fileNode.appliedOffset, receivedOffset: fileNode.receivedOffset }];
  }

  /** One stream per source master: the standalone master, or every master of the cluster (by node id). */
  private async sourceStreams(): Promise<SourceStream[]> {
    if (this.task.spec.source.mode !== 'cluster') {
      const address = this.task.spec.source.mode === 'sentinel'
        ? await sentinelMaster(this.task.sourceNodes, this.task.spec.source.masterName ?? '')
        : this.task.sourceNodes[0];
      // A replica continues the master's history (same replid and offsets), so the checkpoint is the same either way.
      const replica = this.task.sourceReplica ?? (this.task.spec.source.readFrom === 'any' ? await this.anyReplica(address) : null);
      if (replica) this.log.info({ node: formatHostPort(address), replica: formatHostPort(replica) }, 'the replication stream comes from a replica of the source');
      return [{ id: 'standalone', masterId: 'standalone', address, linkAddress: replica ?? address, name: formatHostPort(address), slots: null }];
    }
    const topology = await discoverCluster(this.task.sourceNodes);
    if (topology.unassigned.length) {
      throw Object.assign(new Error(`source cluster: slots ${formatSlots(slotRangesOf(topology.unassigned))} are not served by any master`), { retryable: true });
    }
    const streams = topology.masters.map((m) => ({ id: m.id, masterId: m.id, address: m.address, linkAddress: m.address, name: m.name, slots: m.slots }));
    await this.inheritStreams(streams);
    for (const st of streams) this.knownStreams.add(st.id);
    return streams;
  }

  /**
   * A master without a checkpoint of its own whose history is that of a stream the task had (its replid, or its
   * replid2: a replica promoted after its master failed keeps the master's replid as replid2 and continues its
   * offsets) continues that stream: same checkpoint, same claims, +CONTINUE where its backlog allows.
   */
  private async inheritStreams(streams: SourceStream[]): Promise<void> {
    const current = new Set(streams.map((st) => st.masterId));
    const candidates = [...new Set([...this.knownStreams, ...this.checkpoint.ids()])].filter((id) => !current.has(id));
    if (!candidates.length) return;
    // Each candidate's history, read once and only when some master has no checkpoint.
    let histories: Map<string, string | null> | null = null;
    const savedReplid = async (id: string): Promise<string | null> => decodeCheckpoint(await this.meta.get(checkpointKey(this.task.id, id)))?.replid ?? this.checkpoint.get(id)?.replid ?? null;
    for (const st of streams) {
      if (this.checkpoint.get(st.id) || (await this.meta.get(checkpointKey(this.task.id, st.id)))) continue;
      histories ??= new Map(await Promise.all(candidates.map(async (id) => [id, await savedReplid(id)] as const)));
      const info = await withClient(st.address, (c) => c.info('replication')).catch(() => '');
      const replids = [/master_replid:([0-9a-f]{40})/.exec(info)?.[1], /master_replid2:([0-9a-f]{40})/.exec(info)?.[1]].filter((r): r is string => !!r && !/^0+$/.test(r));
      for (const [i, id] of candidates.entries()) {
        const replid = histories.get(id);
        if (!replid || !replids.includes(replid)) continue;
        this.log.info({ node: st.name, stream: id }, 'a new master of the source cluster continues the history of a former master (a promoted replica): it takes over that master\'s stream');
        st.id = id;
        candidates.splice(i, 1);
        break;
      }
    }
  }

  /** readFrom "any": the healthiest online replica the master lists now; the master itself when there is none. */
  private async anyReplica(master: NodeAddress): Promise<NodeAddress | null> {
    const text = await withClient(master, (c) => c.info('replication'));
    const best = bestReplica(onlineReplicas(text));
    if (!best) {
      this.log.warn({ node: formatHostPort(master) }, 'readFrom "any": the master lists no online replica, so the stream comes from the master itself');
      return null;
    }
    return { ...master, host: best.host, port: best.port };
  }

  /** Status per stream, kept by name across attempts so counters survive a reconnect. */
  private syncStatusNodes(streams: SourceStream[]): void {
    const byName = new Map(this.status.nodes.map((n) => [n.node, n]));
    this.status.nodes = streams.map((st) => byName.get(st.name) ?? newNodeStatus(st.name));
  }

  /** Cross-slot RENAME reads the key back from the destination cluster. */
  private destinationDumper(attempt: Attempt): { dumpKey(key: Buffer): Promise<{ payload: Buffer | null; pttl: number }> } {
    const client = clusterClient(this.task.destinationNodes);
    attempt.closers.push(() => client.disconnect());
    return {
      async dumpKey(key: Buffer) {
        const [payload, pttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
        return { payload, pttl };
      },
    };
  }

  /**
   * Follows the source cluster's shape: a master that appears or goes (scale-out, scale-in, a replica promoted) makes
   * the attempt start again at once with a stream per master now (a promoted replica continues its old master's
   * stream: inheritStreams); slots that moved between the same masters do so once the slot table is stable (two polls).
   */
  private watchTopology(attempt: Attempt, streams: SourceStream[]): void {
    const masters = (ids: string[]): string => [...ids].sort().join(',');
    const expectedMasters = masters(streams.map((s) => s.masterId));
    const expected = JSON.stringify(streams.map((s) => [s.masterId, s.slots]).sort());
    let previous = expected;
    const timer = setInterval(() => {
      discoverCluster(this.task.sourceNodes).then((t) => {
        if (t.unassigned.length) return;
        const now = JSON.stringify(t.masters.map((m) => [m.id, m.slots]).sort());
        const mastersChanged = masters(t.masters.map((m) => m.id)) !== expectedMasters;
        const settled = now !== expected && now === previous;
        previous = now;
        if (!mastersChanged && !settled) return;
        const shape = t.masters.map((m) => `${m.name} ${formatSlots(m.slots)}`);
        this.log.warn({ masters: shape }, mastersChanged ? 'the source cluster\'s masters changed: following them (a stream per master now)' : 'slots moved between the source cluster\'s masters: following them');
        this.onFailure(Object.assign(new Error(`source cluster changed shape (${shape.join('; ')}): following it`), { retryable: true }), true);
      }, () => undefined);
    }, 2500);
    timer.unref();
    attempt.closers.push(() => clearInterval(timer));
  }

  private startHeartbeat(node: NodeAddress, key: string): Heartbeat {
    const hb = this.task.heartbeat;
    const h = new Heartbeat(node, key, hb.db ?? 0, hb.intervalMs);
    if (hb.enabled) h.start();
    return h;
  }

  private onFailure(err: Error, retryable: boolean): void {
    if (err instanceof WriteError && err.code === 'FENCED') {
      this.failure ??= { err: fencedError(this.task.id, `the destination refused this daemon's transaction at offset ${err.offset ?? '?'}`), retryable: false };
      this.lease.fenced();
    }
    this.failure ??= { err, retryable };
    this.wake?.();
  }

  private waitForFailureOrStop(): Promise<void> {
    if (this.failure || this.stopping || this.fileLoaded) return Promise.resolve();
    return new Promise((resolve) => { this.wake = () => { this.wake = null; resolve(); }; });
  }

  private async teardown(): Promise<void> {
    const a = this.attempt;
    this.attempt = null;
    if (!a) return;
    for (const close of a.closers) close();
    await Promise.all(a.heartbeats.map((h) => h.stop()));
    await Promise.all(a.syncs.map((s) => s.stop()));
    await Promise.all(a.writers.map((w) => w.close()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }

  private setRetrying(err: Error, since: string, attemptNo: number): void {
    const at = new Date().toISOString();
    this.log.warn({ err: err.message, attempt: attemptNo }, 'connection lost: retrying');
    for (const n of this.status.nodes) {
      n.state = 'Retrying';
      n.retryingSince = since;
      n.reconnects++;
      n.lastError = { message: err.message, at, ...errorWhere(err) };
    }
    this.status.lastError = { message: err.message, at, ...errorWhere(err) };
    this.writeStatus();
  }

  private setFailed(err: Error, why: string): void {
    const at = new Date().toISOString();
    this.log.error({ err: err.message, ...errorWhere(err) }, `task failed (${why})`);
    this.status.state = 'Failed';
    this.status.lastError = { message: `${err.message} (${why})`, at, ...errorWhere(err) };
    for (const n of this.status.nodes) n.state = 'Failed';
    this.writeStatus();
  }

  writeStatus(): void {
    if (this.status.state !== 'Failed' && this.status.state !== 'Stopped' && this.status.state !== 'Loaded') {
      this.status.state = overallState(this.status.nodes, this.status.state);
    }
    this.status.updatedAt = new Date().toISOString();
    this.statusFile.write(JSON.stringify(this.status, null, 1));
    // A new state is published on the destination at once, not at the next renewal: what `pulumi up` reports.
    if (this.status.state !== this.publishedState && this.lease.held) {
      this.publishedState = this.status.state;
      this.lease.renew();
      if (this.status.state === 'Synchronizing') this.onSynchronizing?.();
    }
  }
}

function fencedError(task: string, why: string): Error {
  return Object.assign(new Error(`lost the lease of task ${task}: ${why}; another daemon has taken the task over, so this one stops without writing (see redis-sync status)`), { retryable: false });
}

function isRetryable(err: Error): boolean {
  const r = (err as { retryable?: boolean }).retryable;
  if (typeof r === 'boolean') return r;
  // A cluster (either side) in the middle of a failover or a migration answers so for a moment, to any client; a slot
  // moving under a node batch (node-batch-script.ts) is TRYAGAIN with nothing past its checkpoint applied; a node
  // batch fenced (SLOTFENCED) is retried because the next attempt checks the lease and stops if another daemon has it.
  // A writer's error is judged by its reply's code: its message also quotes the refused command, keys included.
  const reply = err instanceof WriteError ? err.code : err.message;
  if (/^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|READONLY|Too many Cluster redirections)\b/.test(reply)) return true;
  if (err instanceof WriteError && err.code === 'SLOTFENCED') return true;
  return err.name === 'ConnectionLostError' || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|connection (lost|closed)/i.test(err.message);
}

function errorWhere(err: Error): { node?: string; offset?: number; command?: string } {
  const e = err as { node?: unknown; address?: unknown; offset?: unknown; command?: unknown; cause?: { offset?: unknown } };
  // A protocol error of the replication link carries the stream offset on its cause (RespProtocolError).
  const offset = typeof e.offset === 'number' ? e.offset : e.cause?.offset;
  return {
    ...(typeof e.node === 'string' ? { node: e.node } : typeof e.address === 'string' ? { node: e.address } : {}),
    ...(typeof offset === 'number' ? { offset } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
  };
}

/** What the destination understands (its release, Redis or Valkey) and the checkpoint keys the task keeps there. */
async function readDestination(node: NodeAddress, db: number, keys: string[]): Promise<{ dialect: Dialect; values: Array<string | null> }> {
  // Bounded: a destination that accepts the connection but never answers must fail the attempt, not hang it.
  const c = controlClient(node, 10_000);
  try {
    await c.connect();
    const info = await c.info('server');
    const dialect = dialectFor(parseServerInfo(info));
    await c.select(db);
    const values = keys.length ? await c.mget(...keys) : [];
    return { dialect, values };
  } catch (err) {
    const message = errorCause(c, err as Error).message;
    // A refused password stays refused: only a lost or refused connection is worth retrying.
    const retryable = !/WRONGPASS|NOAUTH|NOPERM|invalid password/i.test(message);
    throw Object.assign(new Error(`destination ${formatHostPort(node)}: ${message}`), { retryable, node: formatHostPort(node) });
  } finally {
    c.disconnect();
  }
}

/** PTTL of keys in one db of a source node, pipelined (TTLs replayed after an outage are set again from these). */
async function readPttls(node: NodeAddress, db: number, keys: Buffer[]): Promise<number[]> {
  return withClient(node, async (c) => {
    await c.select(db);
    const out: number[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const p = c.pipeline();
      for (const k of keys.slice(i, i + 1000)) p.pttl(k);
      for (const [err, v] of (await p.exec()) ?? []) out.push(err ? -2 : Number(v));
    }
    return out;
  }, 30_000);
}
