// Connects the engine's stream handler to a real replication link (provider/source).
import type { NodeAddress } from '../spec/types';
import { ReplicaConnection } from '../source/replica-connection';
import type { CommandParserOptions } from '../resp/command-parser';
import type { ReplicaLink, ReplicaLinkHandler, PsyncPosition } from './replica-link';

export function openReplicaLink(node: NodeAddress, handler: ReplicaLinkHandler, position: PsyncPosition | null, parser: CommandParserOptions = {}): Promise<ReplicaLink> {
  let conn: ReplicaConnection;
  let closed: (() => void) | null = null;
  const whenClosed = new Promise<void>((resolve) => { closed = resolve; });
  conn = new ReplicaConnection({
    node,
    psync: position ?? undefined,
    parser,
    // Silence after which the link counts as lost (default 60 s; the master pings every repl-ping-replica-period).
    readTimeoutMs: Number(process.env.REDIS_SYNC_READ_TIMEOUT_MS) || undefined,
    handler: {
      onFullResync: (replid, offset) => handler.onFullResync(replid, offset),
      onContinue: (replid, offset) => handler.onContinue(replid, offset),
      onRdbStart: (info) => handler.onRdbStart(info.bytesTotal),
      onRdbData: (chunk) => handler.onRdbData(chunk),
      onRdbEnd: () => handler.onRdbEnd(),
      onCommand: (cmd) => handler.onCommand(cmd),
      onError: (err) => handler.onError(err),
      onNotice: (message) => handler.onNotice(message),
      onClose: () => closed?.(),
    },
  });
  conn.start();
  return Promise.resolve({
    pause: () => conn.pause(),
    resume: () => conn.resume(),
    setAppliedOffset: (offset) => conn.ack(offset),
    close: async () => {
      conn.close();
      await Promise.race([whenClosed, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  });
}
