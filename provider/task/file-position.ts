// The checkpoint of an RDB file load, kept in the destination's checkpoint key like a stream's: which file (its tag,
// source/rdb-file.ts) and the record offset of the last key confirmed written, so a load that was interrupted resumes
// after it instead of from the start. Written in fenced transactions (fence.ts) in order with the keys' writes.
import type { DestinationCheckpoint } from './tx-batch';
import type { RdbFileInfo } from '../source/rdb-file';

const PREFIX = 'rdb-file';

export interface FilePosition {
  tag: string;
  /** Every key record of the file at or before this byte offset is on the destination; 0: none yet. */
  offset: number;
  writer?: string;
}

export function encodeFilePosition(p: FilePosition): string {
  return `${PREFIX} ${p.tag} ${p.offset}${p.writer ? ` ${p.writer}` : ''}`;
}

export function decodeFilePosition(text: string | null): FilePosition | null {
  const m = text ? /^rdb-file ([0-9a-f]{16}) (\d+)(?: ([0-9a-f]+))?$/.exec(text) : null;
  if (!m) return null;
  return { tag: m[1], offset: Number(m[2]), ...(m[3] ? { writer: m[3] } : {}) };
}

/**
 * Where the file leaves the source's replication history: its repl-id and repl-offset, which a stream that follows
 * continues from (PSYNC repl-id repl-offset+1). A file without them (before Redis 4.0, or not a master's) gets an id
 * of its own, so its end is still a checkpoint that says "loaded".
 */
export function fileEndCheckpoint(file: RdbFileInfo, writer: string): DestinationCheckpoint {
  const own = file.replid === null || file.replOffset === null;
  return {
    replid: own ? fileReplid(file) : file.replid!,
    offset: own ? 0 : file.replOffset!,
    ...(file.replStreamDb !== null && !own ? { db: file.replStreamDb } : {}),
    writer,
  };
}

/** The id a file without repl-id gets: 40 hex digits like a replication id, derived from its tag. */
export function fileReplid(file: RdbFileInfo): string {
  return `${'f'.repeat(24)}${file.tag}`;
}

export function isFileEnd(cp: DestinationCheckpoint | null, file: RdbFileInfo): boolean {
  const end = fileEndCheckpoint(file, '');
  return cp !== null && cp.replid === end.replid && cp.offset === end.offset;
}
