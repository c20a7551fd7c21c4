// What one source stream needs from the replication link (provider/source): the engine depends on this shape only.
import type { StreamCommand } from '../filter/command-filter';

export interface PsyncPosition {
  replid: string;
  offset: number;
}

export interface ReplicaLinkHandler {
  onFullResync(replid: string, offset: number): void;
  /** bytesTotal is known for a disk-based transfer, null for a diskless one. */
  onRdbStart(bytesTotal: number | null): void;
  onRdbData(chunk: Buffer): void;
  onRdbEnd(): void;
  onContinue(replid: string, offset: number): void;
  onCommand(cmd: StreamCommand): void;
  /** The link is gone (error or close); a retryable error may be followed by a new link. */
  onError(err: Error & { retryable?: boolean }): void;
  /** Something the operator should know that does not stop the link (logged). */
  onNotice(message: string): void;
}

export interface ReplicaLink {
  /** Stops reading from the socket: the destination is behind (flow control). */
  pause(): void;
  resume(): void;
  /** The offset REPLCONF ACK reports: only what the destination has applied. */
  setAppliedOffset(offset: number): void;
  close(): Promise<void>;
}
