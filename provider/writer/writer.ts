// What the engine writes through: one interface whether the destination is one server or a cluster.
import type { Notifier } from './notifier';
import type { ConnectionEvents } from './connection';

export type WriterEvents = ConnectionEvents;

export interface Writer extends Pick<Notifier<WriterEvents>, 'on' | 'once' | 'off'> {
  /**
   * Queues an encoded command for db. key is the key the command is routed by in a cluster (its first key; null for
   * a keyless command); a standalone writer ignores it. offset tags the command with the replication offset it
   * came from so 'applied' can report it. Returns false when the in-flight bounds are reached: wait for 'drain'.
   * Throws the failure once the writer stopped.
   */
  write(db: number, key: Buffer | null, command: Buffer, offset?: number): boolean;
  /** Resolves when everything written so far is confirmed; rejects with the failure if the writer stops. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
