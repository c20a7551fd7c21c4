// A ReplicaHandler that records every event, with bounded waits for tests.
import type { ParsedCommand } from '../../provider/resp/command-parser';
import type { ReplicationError } from '../../provider/source/errors';
import type { RdbEndInfo, RdbStartInfo, ReplicaHandler } from '../../provider/source/replica-connection';
import { sleep } from '../harness/redis';

export class Recorder implements ReplicaHandler {
  fullResync: { replid: string; offset: number } | null = null;
  continued: { replid: string; offset: number } | null = null;
  rdbChunks: Buffer[] = [];
  rdbStart: RdbStartInfo | null = null;
  rdbEnd: RdbEndInfo | null = null;
  commands: { argv: string[]; offset: number; rawLength: number }[] = [];
  errors: ReplicationError[] = [];
  closed = 0;
  /** Called for each command, e.g. to ack it. */
  onEach: ((cmd: ParsedCommand) => void) | null = null;

  onFullResync(replid: string, offset: number): void { this.fullResync = { replid, offset }; }
  onContinue(replid: string, offset: number): void { this.continued = { replid, offset }; }
  onRdbStart(info: RdbStartInfo): void { this.rdbStart = info; }
  onRdbData(chunk: Buffer): void { this.rdbChunks.push(Buffer.from(chunk)); }
  onRdbEnd(info: RdbEndInfo): void { this.rdbEnd = info; }
  onCommand(cmd: ParsedCommand): void {
    this.commands.push({ argv: cmd.argv.map((a) => a.toString()), offset: cmd.offset, rawLength: cmd.raw.length });
    this.onEach?.(cmd);
  }
  onError(err: ReplicationError): void { this.errors.push(err); }
  onClose(): void { this.closed++; }

  rdb(): Buffer { return Buffer.concat(this.rdbChunks); }

  /** Commands other than the master's PINGs. */
  writes(): { argv: string[]; offset: number }[] {
    return this.commands.filter((c) => c.argv[0].toUpperCase() !== 'PING');
  }

  async until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      if (cond()) return;
      if (this.errors.length > 0 && !what.includes('error')) throw new Error(`waiting for ${what}: ${this.errors[0].message}`);
      await sleep(10);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

export async function masterOffset(info: Promise<string>): Promise<number> {
  const m = /master_repl_offset:(\d+)/.exec(await info);
  if (!m) throw new Error('no master_repl_offset in INFO replication');
  return Number(m[1]);
}

/** The `offset=` of the first replica line (slave0) in INFO replication, or -1. */
export async function replicaAckOffset(info: Promise<string>): Promise<number> {
  const m = /slave0:[^\r\n]*offset=(\d+)/.exec(await info);
  return m ? Number(m[1]) : -1;
}
