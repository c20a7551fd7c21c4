// A small pipelined client for verification reads: one socket per node and db, whole batches written at once and
// replies parsed straight into Buffers. ioredis's per-command objects made verification CPU- and GC-bound.
import type { Socket } from 'node:net';
import type { NodeAddress } from '../spec/types';
import { encodeCommand } from '../resp/encode';
import { openSocket } from '../writer/connection';
import { ReplyReader, ReplyError } from './reply-reader';
import type { Call, Reply } from './redis-calls';

const REPLY_TIMEOUT_MS = 120_000;

interface Waiter {
  replies: Reply[];
  expected: number;
  resolve: (r: Reply[]) => void;
  reject: (e: Error) => void;
}

export class RespClient {
  private readonly reader = new ReplyReader();
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket, readonly address: string) {
    socket.setNoDelay(true);
    // A server that stops answering mid-pipeline would otherwise hang verification forever.
    socket.setTimeout(REPLY_TIMEOUT_MS, () => {
      if (this.waiters.length > 0) this.fail(new Error(`${address} sent no reply for ${REPLY_TIMEOUT_MS / 1000} s: the server may be blocked (a long script, a slow fork); run verify again when it answers`));
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error(`connection to ${address} closed: the server went away or dropped the client (timeout, maxclients); run verify again`)));
  }

  /** Connects, authenticates and selects db; throws on a refused AUTH without showing the password. */
  static async connect(address: NodeAddress, db: number, side = 'endpoint'): Promise<RespClient> {
    const client = new RespClient(await openSocket(address, 10_000, side), `${address.host}:${address.port}`);
    const setup: Call[] = [];
    if (address.password !== undefined) setup.push(address.username ? ['AUTH', address.username, address.password] : ['AUTH', address.password]);
    if (db !== 0) setup.push(['SELECT', db]);
    const replies = await client.pipeline(setup);
    const err = replies.find((r): r is Error => r instanceof Error);
    if (err) {
      client.close();
      throw new Error(`${client.address} refused AUTH or SELECT (${err.message}): check the username and password in the task file`);
    }
    return client;
  }

  /** Sends the calls as one write; resolves with every reply (error replies as ReplyError values) in order. */
  pipeline(calls: readonly Call[]): Promise<Reply[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (calls.length === 0) return Promise.resolve([]);
    this.socket.write(Buffer.concat(calls.map((c) => encodeCommand(c))));
    return new Promise((resolve, reject) => this.waiters.push({ replies: [], expected: calls.length, resolve, reject }));
  }

  /** One command; an error reply rejects. */
  async call(...call: Call): Promise<Reply> {
    const [r] = await this.pipeline([call]);
    if (r instanceof Error) throw r;
    return r;
  }

  close(): void {
    this.failure ??= new Error('client closed');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.feed(chunk, (r) => {
        const w = this.waiters[0];
        if (!w) throw new Error(`unexpected reply from ${this.address}`);
        w.replies.push(r);
        if (w.replies.length === w.expected) {
          this.waiters.shift();
          w.resolve(w.replies);
        }
      });
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.socket.destroy();
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}

export { ReplyError };
