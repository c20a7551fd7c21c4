// What a task whose source is an RDB file does in an attempt, from the checkpoint it finds on the destination: load
// the file (from its start, or after the position of an interrupted load), nothing (loaded, no stream follows), or
// the live source's stream, which must continue exactly at the file's point when it starts there.
import type { RdbFileInfo } from '../source/rdb-file';
import type { LinkFactory } from './node-sync';
import type { ReplicaLink, ReplicaLinkHandler, PsyncPosition } from './replica-link';
import { decodeCheckpoint, isFullSyncMarker } from './tx-batch';
import { decodeFilePosition, isFileEnd } from './file-position';

export type FilePlan =
  /** resumeAfter: same file, interrupted; clear: the destination holds this task's keys of another file or source. */
  | { kind: 'load'; resumeAfter: number | null; clear: boolean; why: string }
  | { kind: 'loaded' }
  /** fromFile: the checkpoint is the file's end, so the source must answer +CONTINUE. */
  | { kind: 'stream'; fromFile: boolean };

export function planFileAttempt(file: RdbFileInfo, value: string | null, live: boolean): FilePlan {
  if (value === null) return { kind: 'load', resumeAfter: null, clear: false, why: 'no checkpoint on the destination' };
  const pos = decodeFilePosition(value);
  if (pos && pos.tag === file.tag) return { kind: 'load', resumeAfter: pos.offset, clear: false, why: 'an interrupted load of this file' };
  if (pos) return { kind: 'load', resumeAfter: null, clear: true, why: `an interrupted load of another file (tag ${pos.tag}, this one is ${file.tag})` };
  if (isFullSyncMarker(value)) return { kind: 'load', resumeAfter: null, clear: true, why: 'an interrupted full sync' };
  const cp = decodeCheckpoint(value);
  if (cp && isFileEnd(cp, file)) return live ? { kind: 'stream', fromFile: true } : { kind: 'loaded' };
  // A position in the source's stream past the file: the file was loaded and the stream has gone on since.
  if (cp && live) return { kind: 'stream', fromFile: false };
  return { kind: 'load', resumeAfter: null, clear: true, why: cp ? `the checkpoint is another snapshot's (${cp.replid} ${cp.offset})` : 'an unknown checkpoint' };
}

/**
 * The first connection after the file: the source must continue its history from the file's point. A +FULLRESYNC
 * would copy the whole server again over the file's data; the task stops instead, saying why, and nothing of that
 * snapshot is handed on.
 */
export function requireContinue(open: LinkFactory, node: string, file: RdbFileInfo): LinkFactory {
  return async (handler: ReplicaLinkHandler, position: PsyncPosition | null): Promise<ReplicaLink> => {
    let refused = false;
    let link: ReplicaLink | null = null;
    const guard: ReplicaLinkHandler = {
      onFullResync: (replid, offset) => {
        refused = true;
        const at = position ? `PSYNC ${position.replid} ${position.offset + 1}` : 'PSYNC';
        const err = new Error(`source ${node} answered +FULLRESYNC ${replid} ${offset} to ${at}: it cannot continue from the RDB file ${file.path} (repl-id ${file.replid ?? 'absent'}, repl-offset ${file.replOffset ?? 'absent'}): `
          + 'its replication backlog no longer holds that point, or the file is not this server\'s history. The destination holds the file\'s data and nothing of the server\'s snapshot was written. '
          + 'Save and load a new dump (BGSAVE, then point rdbFile at it), raise repl-backlog-size on the source for the time a load takes, or drop rdbFile to copy the server in full');
        handler.onError(Object.assign(err, { retryable: false, node }));
        void link?.close();
      },
      onRdbStart: (n) => { if (!refused) handler.onRdbStart(n); },
      onRdbData: (chunk) => { if (!refused) handler.onRdbData(chunk); },
      onRdbEnd: () => { if (!refused) handler.onRdbEnd(); },
      onContinue: (replid, offset) => handler.onContinue(replid, offset),
      onCommand: (cmd) => { if (!refused) handler.onCommand(cmd); },
      onError: (err) => { if (!refused) handler.onError(err); },
      onNotice: (message) => handler.onNotice(message),
    };
    link = await open(guard, position);
    return link;
  };
}
