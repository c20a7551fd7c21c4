// A pipelined connection to one destination server over a raw socket: commands go out already encoded, replies are
// framed in order, and the connection reports which replication offsets the destination has applied.
import { Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { explainTlsError, tlsOptions } from '../spec/tls-options';
import type { NodeAddress, TuningSpec } from '../spec/types';
import { encodeCommand } from '../resp/encode';
import { ReplyParser, WATCH_ABORTED, type ReplyOutcome } from './reply-parser';
import { InFlightQueue, NO_OFFSET } from './in-flight-queue';
import { Notifier } from './notifier';
import { WriteError, ConnectionLostError, type WriterFailure } from './write-error';
import { decodeCommand, printableCommand } from './command-text';
import { ScriptCache, scriptCommandName, type ScriptBodyLookup } from './script-cache';

export const DEFAULT_PIPELINE_COMMANDS = 1000;
export const DEFAULT_PIPELINE_BYTES = 8 * 1024 * 1024;
/**
 * Commands in flight and no reply for this long: the connection counts as lost (a destination that stopped answering,
 * a half-open TCP connection), so the task retries instead of waiting forever. REDIS_SYNC_REPLY_TIMEOUT_MS overrides.
 */
export const DEFAULT_REPLY_TIMEOUT_MS = 60_000;
const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);
const ASKING = encodeCommand(['ASKING']);
const isExec = (command: Buffer): boolean => command.length === 14 && command.equals(EXEC);

/** Pending output written at once when it reaches this size, without waiting for the next tick. */
const OUTGOING_FLUSH_BYTES = 256 * 1024;

export interface ConnectionOptions {
  address: NodeAddress;
  tuning?: Pick<TuningSpec, 'pipelineCommands' | 'pipelineBytes'>;
  /** Bodies of scripts the source ran, so EVALSHA is preceded by SCRIPT LOAD when the destination may lack it. */
  scriptBody?: ScriptBodyLookup;
  connectTimeoutMs?: number;
  /** Sent as CLIENT SETNAME after AUTH (no spaces). */
  clientName?: string;
  /** See DEFAULT_REPLY_TIMEOUT_MS. */
  replyTimeoutMs?: number;
  /**
   * Cluster redirections: called for a MOVED or ASK error reply; returning true means the caller re-sends the
   * command elsewhere, so it counts as confirmed here and does not stop the connection.
   */
  redirect?: (reply: string, command: Buffer, offset: number) => boolean;
}

export interface ConnectionEvents {
  /**
   * Every command up to and including the last one tagged with this offset is confirmed. Offsets come in send
   * order and never repeat; several tagged commands confirmed in one read are reported once, by the last offset.
   */
  applied: [offset: number];
  /** send() returned false earlier and the in-flight commands and bytes are back under the bounds. */
  drain: [];
  /** The connection stopped: an error reply (WriteError) or a lost socket. Nothing after it is reported applied. */
  failed: [failure: WriterFailure];
  /** Replies were read: confirmedCount grew to this (once per socket read, after 'applied'). */
  progress: [confirmedCount: number];
}

export class DestinationConnection extends Notifier<ConnectionEvents> {
  private readonly queue = new InFlightQueue();
  private readonly parser = new ReplyParser();
  private readonly scripts: ScriptCache;
  private readonly maxCommands: number;
  private readonly maxBytes: number;
  private selectedDb = 0;
  private needDrain = false;
  private corked = false;
  private outgoing: Buffer[] = [];
  private openTx: Buffer[] | null = null;
  private readonly transactions: Buffer[][] = [];
  private outgoingBytes = 0;
  private closing = false;
  private flushWaiters: Array<{ resolve: () => void; reject: (e: WriterFailure) => void }> = [];
  /** Set once the connection stopped; every later send throws it. */
  failure: WriterFailure | null = null;
  /** Commands sent and confirmed since connect, internal ones (AUTH, SELECT, SCRIPT LOAD) included. */
  sentCount = 0;
  confirmedCount = 0;
  /** When the last reply came, or the first command went out after the queue was empty. */
  private lastProgressAt = Date.now();
  private readonly watchdog: NodeJS.Timeout;

  private constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions) {
    super();
    const replyTimeout = opts.replyTimeoutMs ?? (Number(process.env.REDIS_SYNC_REPLY_TIMEOUT_MS) || DEFAULT_REPLY_TIMEOUT_MS);
    this.watchdog = setInterval(() => {
      if (this.queue.length > 0 && Date.now() - this.lastProgressAt > replyTimeout) {
        this.fail(new ConnectionLostError(this.address, new Error(`no reply for ${replyTimeout} ms with commands in flight`), this.queue.length));
      }
    }, Math.max(10, Math.min(1000, Math.floor(replyTimeout / 4))));
    this.watchdog.unref();
    socket.setKeepAlive(true, 10_000);
    this.maxCommands = opts.tuning?.pipelineCommands ?? DEFAULT_PIPELINE_COMMANDS;
    this.maxBytes = opts.tuning?.pipelineBytes ?? DEFAULT_PIPELINE_BYTES;
    this.scripts = new ScriptCache(opts.scriptBody);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionLostError(this.address, err, this.queue.length)));
    socket.on('close', () => {
      if (!this.closing) this.fail(new ConnectionLostError(this.address, null, this.queue.length));
    });
  }

  /** Connects and authenticates; rejects with a WriteError (reply WRONGPASS...) or a connection error. */
  static async connect(opts: ConnectionOptions): Promise<DestinationConnection> {
    const socket = await openSocket(opts.address, opts.connectTimeoutMs ?? 10_000);
    const conn = new DestinationConnection(socket, opts);
    const { username, password } = opts.address;
    if (password !== undefined) {
      conn.enqueue(encodeCommand(username ? ['AUTH', username, password] : ['AUTH', password]), NO_OFFSET);
    }
    if (opts.clientName) conn.enqueue(encodeCommand(['CLIENT', 'SETNAME', opts.clientName]), NO_OFFSET);
    conn.enqueue(encodeCommand(['PING']), NO_OFFSET);
    await conn.flush();
    return conn;
  }

  get address(): string {
    return `${this.opts.address.host}:${this.opts.address.port}`;
  }

  get inFlightCommands(): number {
    return this.queue.length;
  }

  get inFlightBytes(): number {
    return this.queue.bytes;
  }

  /** Whether send() would return false now. */
  get overBounds(): boolean {
    return this.queue.length >= this.maxCommands || this.queue.bytes >= this.maxBytes;
  }

  /** The db the next command without a SELECT would run in. */
  get db(): number {
    return this.selectedDb;
  }

  /**
   * Queues an encoded command for db (a SELECT goes first when the connection is in another db), tagged with a
   * replication offset when the engine wants to hear when it is applied. The command is always accepted; false
   * means the in-flight bounds are reached and the caller should wait for 'drain'. Throws once the writer failed.
   * `asking`: the command follows an ASK redirection (cluster), so ASKING goes right before it.
   */
  send(db: number, command: Buffer, offset: number = NO_OFFSET, asking = false): boolean {
    if (this.failure) throw this.failure;
    if (db !== this.selectedDb) {
      this.enqueue(encodeCommand(['SELECT', db]), NO_OFFSET);
      this.selectedDb = db;
    }
    const scriptCommand = scriptCommandName(command);
    if (scriptCommand) {
      const load = this.scripts.before(scriptCommand, command);
      if (load) this.enqueue(load, NO_OFFSET);
    }
    // ASKING covers only the next command: it goes last, after any SELECT or SCRIPT LOAD the command needs.
    if (asking) this.enqueue(ASKING, NO_OFFSET);
    this.enqueue(command, offset);
    if (this.overBounds) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Resolves when every command sent so far is confirmed; rejects with the failure if the writer stops. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  /** Closes the socket without waiting for replies (call flush() first for a clean stop). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private enqueue(command: Buffer, offset: number): void {
    if (this.queue.length === 0) this.lastProgressAt = Date.now();
    this.queue.push(command, offset);
    this.sentCount++;
    this.trackTransaction(command);
    // A burst of small commands goes out as one buffer in one write at the next tick: one copy is far cheaper than
    // handing the socket thousands of tiny buffers (writev with an iovec each).
    this.outgoing.push(command);
    this.outgoingBytes += command.length;
    if (this.outgoingBytes >= OUTGOING_FLUSH_BYTES) this.flushOutgoing();
    else if (!this.corked) {
      this.corked = true;
      process.nextTick(() => {
        this.corked = false;
        this.flushOutgoing();
      });
    }
  }

  /**
   * The commands queued in each open MULTI, so that an error inside EXEC's reply can name its command. The lists
   * are dropped when EXEC's reply arrives; only transactions in flight are kept.
   */
  private trackTransaction(command: Buffer): void {
    if (command.length === 15 && command.equals(MULTI)) this.openTx = [];
    else if (this.openTx && isExec(command)) {
      this.transactions.push(this.openTx);
      this.openTx = null;
    } else this.openTx?.push(command);
  }

  private flushOutgoing(): void {
    if (!this.outgoing.length || this.socket.destroyed) return;
    const out = this.outgoing.length === 1 ? this.outgoing[0] : Buffer.concat(this.outgoing, this.outgoingBytes);
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    this.lastProgressAt = Date.now();
    let applied = NO_OFFSET;
    this.parser.feed(chunk, (outcome) => {
      if (this.failure) return;
      const command = this.queue.headCommand;
      const offset = this.queue.shift();
      this.confirmedCount++;
      const exec = isExec(command);
      const tx = exec ? this.transactions.shift() : undefined;
      // A null array answers EXEC when the fence aborted it, but also e.g. LPOP key count on a missing key.
      if (outcome === WATCH_ABORTED && !exec) outcome = null;
      if (outcome !== null && (outcome.startsWith('MOVED ') || outcome.startsWith('ASK ')) && this.opts.redirect?.(outcome, command, offset)) {
        return;
      }
      if (outcome !== null) {
        if (applied !== NO_OFFSET) this.emit('applied', applied);
        applied = NO_OFFSET;
        const err = this.writeError(outcome, command, offset, tx);
        err.node = this.address;
        this.fail(err);
        return;
      }
      if (offset !== NO_OFFSET) applied = offset;
    });
    if (this.failure) return;
    if (applied !== NO_OFFSET) this.emit('applied', applied);
    this.emit('progress', this.confirmedCount);
    if (this.needDrain && !this.overBounds) {
      this.needDrain = false;
      this.emit('drain');
    }
    if (this.queue.length === 0) this.settleFlush(null);
  }

  private writeError(reply: NonNullable<ReplyOutcome>, command: Buffer, offset: number, tx?: Buffer[]): WriteError {
    const inExec = /\(in EXEC, command (\d+) of \d+\)$/.exec(reply);
    if (inExec && tx) {
      // Name the queued command that failed, not the EXEC that reported it.
      const queued = tx[Number(inExec[1]) - 1];
      if (queued) return new WriteError(reply, printableCommand(queued), offset === NO_OFFSET ? null : offset, null, queued, true);
    }
    let sha: string | null = null;
    if (reply.startsWith('NOSCRIPT')) {
      sha = decodeCommand(command, 2)[1]?.toString('latin1').toLowerCase() ?? null;
      if (sha) this.scripts.set(sha, false);
    }
    return new WriteError(reply, printableCommand(command), offset === NO_OFFSET ? null : offset, sha, command);
  }

  private fail(failure: WriterFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.closing = true;
    clearInterval(this.watchdog);
    this.socket.destroy();
    this.settleFlush(failure);
    this.emit('failed', failure);
  }

  private settleFlush(failure: WriterFailure | null): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) failure ? w.reject(failure) : w.resolve();
  }
}

/** A connected plain or TLS socket to address. */
export function openSocket(address: NodeAddress, timeoutMs: number, side = 'destination'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = address.tls
      ? tlsConnect({ host: address.host, port: address.port, ...tlsOptions(address) })
      : netConnect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${address.host}:${address.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(address.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(explainTlsError(err, side, `${address.host}:${address.port}`, address) ?? `connecting to ${address.host}:${address.port}: ${err.message}`));
    });
  });
}
