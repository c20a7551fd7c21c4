// One replication link to one source master: this process acts as its replica over a plain net/tls socket.
// Cluster sources run one ReplicaConnection per master, each with its own handler.
//
// Lifecycle and events (all calls into ReplicaHandler are synchronous, from socket events):
//   start() connects and runs the handshake (see handshake.ts). Then exactly one of:
//   - onFullResync(replid, offset): the master sends a snapshot taken at replication offset `offset`.
//     Followed by onRdbStart({ bytesTotal, diskless }) once the RDB preamble is read (bytesTotal is the RDB
//     length for a disk-based transfer, null for a diskless one; optional), onRdbData(chunk)* (the RDB file bytes, exactly as the master wrote them, in order; the
//     diskless EOF mark is stripped; chunks are never reused, the handler may keep them) and
//     onRdbEnd({ bytes, diskless }). Commands then start right after
//     `offset`: the first command's cmd.offset is offset + its byte length.
//   - onContinue(replid, offset): partial resync. `replid` is the new replid when the master announced one
//     (+CONTINUE <replid>, after a failover), else the requested one; `offset` is the requested offset,
//     the stream resumes with the byte right after it.
//   onCommand(cmd) for every command of the stream, including PING, SELECT, MULTI/EXEC and REPLCONF GETACK,
//   with cmd.offset the replication offset right after the command (as the master's master_repl_offset).
//   Commands that need no write (PING, REPLCONF) must still be acked once everything before them is applied.
//   onError(err) at most once, with a ReplicationError; onClose() exactly once, after onError or close().
//
// Offsets: `psync.offset` and ack(offset) use the applied offset, the same number as master_repl_offset
// and cmd.offset; on the wire PSYNC asks for offset + 1 (the first byte missing), as redis-server does.
//
// Acknowledgements: REPLCONF ACK carries the offset the engine reported with ack(), never merely what was
// received: the source must not believe the destination has what it has not applied. It is sent every
// ackIntervalMs, when the stream starts, and when the stream carries REPLCONF GETACK. redis-server answers
// GETACK with the offset *before* the GETACK command (its reploff is updated only after a command has run,
// networking.c commandProcessed), which is what WAIT relies on; likewise the answer here is the applied
// offset at that moment, which can only be <= the offset before GETACK. If the applied offset is behind
// that, another ACK goes out as soon as ack() reaches it, so WAIT on the source returns without waiting for
// the next tick. Before anything is acked after FULLRESYNC, ACK carries 0 (claims nothing; a diskless master
// needs that first ACK to start streaming commands, so it is repeated every 100 ms for up to 1 s until
// stream bytes arrive). ACKs are sent only once the command stream has started (none during the RDB).
//
// Flow control: pause() stops reading from the socket and stops delivering commands at the next command
// (an RDB chunk being delivered is finished); resume() delivers what is buffered, then reads again. ACKs
// continue while paused. The read timeout does not run while paused, but the master still drops a replica
// whose output buffer exceeds client-output-buffer-limit, or a diskless transfer stalled over repl-timeout.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { NodeAddress } from '../spec/types';
import { CommandParser, RespProtocolError, type CommandParserOptions, type ParsedCommand } from '../resp/command-parser';
import { encodeCommand } from '../resp/encode';
import { AckTracker } from './ack-tracker';
import { ReplicationError } from './errors';
import { formatHostPort } from '../spec/address';
import { LineReader, LineTooLongError } from './line-reader';
import { checkStepReply, handshakeSteps, parsePsyncReply, type HandshakeStep, type PsyncPosition } from './handshake';
import { RdbPreambleError, RdbTransfer } from './rdb-transfer';
import { SyncPrelude, type PreludeResult } from './sync-prelude';
import { explainTlsError, tlsOptions } from '../spec/tls-options';
import { isName } from '../resp/command-name';

export type { PsyncPosition } from './handshake';

export interface RdbStartInfo {
  /** The RDB length for a disk-based transfer; null for a diskless one, whose length is unknown. */
  bytesTotal: number | null;
  diskless: boolean;
}

export interface RdbEndInfo {
  /** RDB bytes delivered through onRdbData. */
  bytes: number;
  diskless: boolean;
}

export interface ReplicaHandler {
  onFullResync(replid: string, offset: number): void;
  onContinue(replid: string, offset: number): void;
  onRdbStart?(info: RdbStartInfo): void;
  onRdbData(chunk: Buffer): void;
  onRdbEnd(info: RdbEndInfo): void;
  onCommand(cmd: ParsedCommand): void;
  onError(err: ReplicationError): void;
  onClose(): void;
  /** Something the operator should know that does not stop the link. */
  onNotice?(message: string): void;
}

export interface ReplicaOptions {
  node: NodeAddress;
  handler: ReplicaHandler;
  /** Resume point for a partial resync; absent asks for a full one (PSYNC ? -1). */
  psync?: PsyncPosition;
  /** Port announced with REPLCONF listening-port (shown in the source's INFO); default: the local socket port. */
  listeningPort?: number;
  /** From connect until the PSYNC reply. */
  connectTimeoutMs?: number;
  /** Silence after which the link counts as lost; the master pings every repl-ping-replica-period (10 s). */
  readTimeoutMs?: number;
  ackIntervalMs?: number;
  /** Extra TLS options (CA, client certificate, ...) when node.tls is set. */
  tls?: ConnectionOptions;
  parser?: CommandParserOptions;
}

export type ReplicaPhase = 'idle' | 'connecting' | 'handshake' | 'rdb' | 'stream' | 'closed';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
export const DEFAULT_ACK_INTERVAL_MS = 1_000;
const STREAM_START_RETRIES = 10;
const STREAM_START_RETRY_MS = 100;

export class ReplicaConnection {
  readonly node: string;
  private readonly opts: ReplicaOptions;
  private readonly handler: ReplicaHandler;
  private socket: Socket | null = null;
  private state: ReplicaPhase = 'idle';
  private steps: HandshakeStep[] = [];
  private step = 0;
  private lines = new LineReader();
  private rdb: RdbTransfer | null = null;
  private parser: CommandParser | null = null;
  private currentReplid: string | null = null;
  private readonly acks = new AckTracker();
  private paused = false;
  private lastReadAt = 0;
  private lastAckAt = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private streamStartTimer: NodeJS.Timeout | null = null;
  private parserStart = 0;
  private socketError: Error | null = null;
  /** Served as SYNC and the snapshot's position not yet read: decides with what is known (at the snapshot's end). */
  private syncDecide: (() => void) | null = null;

  constructor(opts: ReplicaOptions) {
    this.opts = opts;
    this.handler = opts.handler;
    this.node = formatHostPort(opts.node);
  }

  get phase(): ReplicaPhase {
    return this.state;
  }

  /** The replid of the stream being received (after FULLRESYNC or CONTINUE), else null. */
  get replid(): string | null {
    return this.currentReplid;
  }

  /** Offset after the last command delivered (or the FULLRESYNC/CONTINUE offset before any); -1 before. */
  get receivedOffset(): number {
    return this.acks.delivered;
  }

  /** Offset last reported with ack() (or the CONTINUE offset); -1 when nothing is acked on this stream. */
  get appliedOffset(): number {
    return this.acks.applied;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  // The options hold the password: logging the object must show neither them nor the socket.
  [inspect.custom](): string {
    return this.toString();
  }

  toJSON(): { node: string; phase: ReplicaPhase; replid: string | null; receivedOffset: number; appliedOffset: number } {
    return { node: this.node, phase: this.state, replid: this.currentReplid, receivedOffset: this.receivedOffset, appliedOffset: this.appliedOffset };
  }

  toString(): string {
    return `ReplicaConnection(${this.node}, ${this.state}, replid=${this.currentReplid ?? '?'}, applied=${this.appliedOffset})`;
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`replica connection to ${this.node} was already started`);
    this.state = 'connecting';
    const { host, port } = this.opts.node;
    const timeout = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.connectTimer = setTimeout(() => this.onConnectTimeout(timeout), timeout);
    const socket = this.opts.node.tls
      ? tlsConnect({ host, port, ...tlsOptions(this.opts.node), ...this.opts.tls })
      : netConnect({ host, port });
    this.socket = socket;
    socket.once(this.opts.node.tls ? 'secureConnect' : 'connect', () => this.onConnected());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => { this.socketError = err; });
    socket.on('close', () => this.onSocketClose());
  }

  /** Reports that everything up to `offset` is applied on the destination; this is what ACKs carry. */
  ack(offset: number): void {
    if (this.acks.apply(offset, this.node)) this.sendAck();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastReadAt = Date.now();
    this.safely(() => this.drain());
    if (!this.paused && this.socket !== null) this.socket.resume();
  }

  /** Closes the link; onClose follows (once), onError does not. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.streamStartTimer !== null) clearTimeout(this.streamStartTimer);
    this.streamStartTimer = null;
    this.connectTimer = null;
    this.ticker = null;
    this.socket?.destroy();
    this.handler.onClose();
  }

  private fail(err: ReplicationError): void {
    if (this.state === 'closed') return;
    try {
      this.handler.onError(err);
    } finally {
      this.close();
    }
  }

  private onConnected(): void {
    if (this.state !== 'connecting' || this.socket === null) return;
    this.socket.setNoDelay(true);
    this.state = 'handshake';
    const listeningPort = this.opts.listeningPort ?? this.socket.localPort ?? 0;
    this.steps = handshakeSteps(this.opts.node, listeningPort, this.opts.psync);
    this.step = 0;
    this.send(this.steps[0].args);
  }

  private onConnectTimeout(ms: number): void {
    if (this.state === 'connecting') {
      this.fail(new ReplicationError('CONNECT_TIMEOUT', this.node, `connecting to source ${this.node} timed out after ${ms} ms: check the address, firewall and that the server is up`));
    } else if (this.state === 'handshake') {
      const kind = this.steps[this.step]?.kind ?? 'handshake';
      this.fail(new ReplicationError('HANDSHAKE_TIMEOUT', this.node, `replication handshake with source ${this.node} timed out after ${ms} ms waiting for the reply to ${kind}`));
    }
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    this.safely(() => this.consume(chunk));
  }

  private safely(fn: () => void): void {
    if (this.state === 'closed') return;
    try {
      fn();
    } catch (err) {
      this.fail(this.asReplicationError(err));
    }
  }

  private consume(chunk: Buffer): void {
    switch (this.state) {
      case 'handshake':
        return this.consumeHandshake(chunk);
      case 'rdb': {
        const rest = this.rdb!.feed(chunk);
        if (rest === null) return;
        this.endRdb();
        if (rest.length > 0) this.consume(rest);
        return;
      }
      case 'stream':
        this.parser!.push(chunk);
        return this.drain();
      default:
        return;
    }
  }

  private consumeHandshake(chunk: Buffer): void {
    this.lines.push(chunk);
    while (this.state === 'handshake') {
      const line = this.lines.nextLine();
      if (line === null) return;
      this.onHandshakeLine(line);
    }
    if (this.state === 'rdb' || this.state === 'stream') {
      const rest = this.lines.takeRest();
      if (rest.length > 0) this.consume(rest);
    }
  }

  private onHandshakeLine(line: string): void {
    // Empty lines are keep-alives a master may send before replying to PSYNC.
    if (line === '') return;
    const current = this.steps[this.step];
    if (current.kind !== 'psync') {
      checkStepReply(current.kind, line, this.node, this.opts.node.password);
      this.step++;
      this.send(this.steps[this.step].args);
      return;
    }
    const reply = parsePsyncReply(line, this.node, this.opts.node.password, this.opts.node.psyncCommand);
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.startTicker();
    if (reply.kind === 'fullresync') this.beginFullResync(reply.replid, reply.offset);
    else if (reply.kind === 'sync') this.beginSync(line);
    else this.beginContinue(reply.replid);
  }

  /**
   * Served as SYNC: the snapshot starts at once, with no replication id or offset. The link counts offsets from 0
   * under an id of its own, so nothing can resume from it: the next connection is a full sync again.
   */
  private beginSync(preamble: string): void {
    const prelude = new SyncPrelude();
    const held: Buffer[] = [];
    let bytesTotal: number | null | undefined;
    let decided = false;
    const decide = (at: PreludeResult): void => {
      decided = true;
      this.syncDecide = null;
      this.handler.onNotice?.(`source ${this.node} served ${this.opts.node.psyncCommand ?? 'PSYNC'} as SYNC (Redis does so for a renamed PSYNC): no partial resync is possible, every reconnection copies the snapshot in full` +
        (at ? '' : '; the snapshot did not record the replication offset, so offsets count from 0 on this link'));
      const replid = at?.replid ?? randomBytes(20).toString('hex');
      const offset = at?.offset ?? 0;
      this.currentReplid = replid;
      this.acks.reset(offset, -1);
      this.handler.onFullResync(replid, offset);
      if (bytesTotal !== undefined) this.handler.onRdbStart?.({ bytesTotal, diskless: bytesTotal === null });
      for (const chunk of held.splice(0)) this.handler.onRdbData(chunk);
    };
    this.syncDecide = () => decide(prelude.end());
    this.state = 'rdb';
    this.rdb = new RdbTransfer(
      (data) => {
        if (decided) return this.handler.onRdbData(data);
        held.push(data);
        const at = prelude.push(data);
        if (at !== undefined) decide(at);
      },
      (total) => { bytesTotal = total; },
    );
    this.consume(Buffer.from(`${preamble}\r\n`));
  }

  private beginFullResync(replid: string, offset: number): void {
    this.currentReplid = replid;
    this.acks.reset(offset, -1);
    this.state = 'rdb';
    this.rdb = new RdbTransfer(
      (data) => this.handler.onRdbData(data),
      (bytesTotal) => this.handler.onRdbStart?.({ bytesTotal, diskless: bytesTotal === null }),
    );
    this.handler.onFullResync(replid, offset);
  }

  private beginContinue(newReplid: string | null): void {
    const from = this.opts.psync;
    if (from === undefined) throw new ReplicationError('UNEXPECTED_REPLY', this.node, `source ${this.node} answered CONTINUE to a request for a full resync`);
    this.currentReplid = newReplid ?? from.replid;
    this.acks.reset(from.offset, from.offset);
    this.startStream(from.offset);
    this.handler.onContinue(this.currentReplid, from.offset);
    this.sendAck();
  }

  private endRdb(): void {
    this.syncDecide?.();
    const rdb = this.rdb!;
    this.rdb = null;
    this.startStream(this.acks.delivered);
    this.handler.onRdbEnd({ bytes: rdb.bytes, diskless: rdb.diskless });
    this.sendAck();
    if (rdb.diskless) this.nudgeDisklessMaster(STREAM_START_RETRIES);
  }

  /**
   * A diskless master starts the command stream on the first ACK it gets once it has noticed that its RDB
   * child exited; an ACK sent the moment the EOF mark arrives can beat that (7.0 then ignores it), which
   * would hold the stream back until the next tick. Repeat it briefly until stream bytes arrive.
   */
  private nudgeDisklessMaster(left: number): void {
    if (left <= 0) return;
    this.streamStartTimer = setTimeout(() => {
      this.streamStartTimer = null;
      if (this.state !== 'stream' || this.parser === null || this.parser.receivedOffset > this.parserStart) return;
      this.sendAck();
      this.nudgeDisklessMaster(left - 1);
    }, STREAM_START_RETRY_MS);
  }

  private startStream(offset: number): void {
    this.parserStart = offset;
    this.parser = new CommandParser(offset, this.opts.parser);
    this.state = 'stream';
  }

  private drain(): void {
    const parser = this.parser;
    if (parser === null) return;
    while (!this.paused && this.state === 'stream') {
      const cmd = parser.next();
      if (cmd === null) return;
      this.acks.deliver(cmd.offset);
      if (isGetack(cmd.argv)) {
        this.sendAck();
        this.acks.getack(cmd.offset - cmd.raw.length);
      }
      this.handler.onCommand(cmd);
    }
  }

  private startTicker(): void {
    const ackEvery = this.opts.ackIntervalMs ?? DEFAULT_ACK_INTERVAL_MS;
    const readTimeout = this.opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const period = Math.max(10, Math.min(ackEvery, Math.floor(readTimeout / 4)));
    this.lastReadAt = Date.now();
    this.ticker = setInterval(() => this.tick(ackEvery, readTimeout), period);
  }

  private tick(ackEvery: number, readTimeout: number): void {
    const now = Date.now();
    if (!this.paused && now - this.lastReadAt > readTimeout) {
      const where = this.state === 'rdb' ? `during the RDB transfer (${this.rdbProgress()})` : 'on the command stream';
      this.fail(new ReplicationError('READ_TIMEOUT', this.node, `no data from source ${this.node} for ${readTimeout} ms ${where}: the link is considered lost`));
      return;
    }
    if (this.state === 'stream' && now - this.lastAckAt >= ackEvery) this.sendAck();
  }

  private sendAck(): void {
    if (this.state !== 'stream') return;
    this.lastAckAt = Date.now();
    this.send(['REPLCONF', 'ACK', String(this.acks.value)]);
  }

  private send(args: string[]): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed || !socket.writable) return;
    socket.write(encodeCommand(args));
  }

  private onSocketClose(): void {
    if (this.state === 'closed') return;
    const cause = this.socketError ?? undefined;
    const detail = cause ? `: ${cause.message}` : '';
    const tlsWhy = cause !== undefined && (this.state === 'connecting' || this.state === 'handshake') ? explainTlsError(cause, 'source', this.node, this.opts.node) : null;
    if (tlsWhy !== null || ((this.state === 'connecting' || this.state === 'handshake') && cause !== undefined && isTlsFailure(cause))) {
      const why = tlsWhy ?? `TLS with source ${this.node} failed${detail}: check source.tlsCa, source.tlsServerName and source.tlsCert/tlsKey`;
      this.fail(new ReplicationError('TLS_FAILED', this.node, why, { cause }));
      return;
    }
    if (this.state === 'connecting') {
      this.fail(new ReplicationError('CONNECT_FAILED', this.node, `could not connect to source ${this.node}${detail}`, { cause }));
      return;
    }
    const where = this.state === 'handshake' ? `during the handshake (waiting for the reply to ${this.steps[this.step]?.kind})`
      : this.state === 'rdb' ? `during the RDB transfer (${this.rdbProgress()})`
        : `on the command stream at offset ${this.acks.delivered}`;
    this.fail(new ReplicationError('CONNECTION_LOST', this.node, `source ${this.node} closed the replication link ${where}${detail}`, { cause }));
  }

  private rdbProgress(): string {
    return `${this.rdb?.bytes ?? 0} bytes received`;
  }

  private asReplicationError(err: unknown): ReplicationError {
    if (err instanceof ReplicationError) return err;
    if (err instanceof RespProtocolError) {
      return new ReplicationError('PROTOCOL', this.node, `bad command stream from source ${this.node}: ${err.message}`, { cause: err });
    }
    if (err instanceof RdbPreambleError || err instanceof LineTooLongError) {
      return new ReplicationError('PROTOCOL', this.node, `bad reply from source ${this.node}: ${err.message}`, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new ReplicationError('HANDLER_FAILED', this.node, `the handler of the link to ${this.node} threw: ${message}`, { cause: err });
  }
}

function isTlsFailure(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return /CERT|ERR_TLS|ERR_SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

const REPLCONF = Buffer.from('replconf');
const GETACK = Buffer.from('getack');

/** REPLCONF GETACK, matched on bytes without allocating strings. */
function isGetack(argv: Buffer[]): boolean {
  return argv.length >= 2 && isName(argv[0], REPLCONF) && isName(argv[1], GETACK);
}
