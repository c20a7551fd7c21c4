// An RDB file as the source (a backup, a copied dump.rdb): what the task needs to know of it before loading it (its
// identity, RDB version, and where its server's replication history stood: repl-id, repl-offset, repl-stream-db),
// its bytes in chunks with flow control, and errors that name the file, the byte offset and what to do.
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { RdbReader } from '../rdb/reader';
import { RdbError } from '../rdb/errors';

const CHUNK_BYTES = 256 * 1024;
/** What the identity hashes: the size and both ends of the file (its header and AUX fields, its CRC-64 trailer). */
const TAG_SPAN = 64 * 1024;
/** AUX fields come first in an RDB; the header read stops at the first other record or after this much. */
const HEADER_READ_MAX = 4 * 1024 * 1024;

export interface RdbFileInfo {
  path: string;
  bytes: number;
  /**
   * The file's identity (16 hex digits, from its size and content at both ends): a checkpoint of a load names it, so a
   * different file at the same path is loaded from its start, not resumed.
   */
  tag: string;
  rdbVersion: number;
  /** The repl-id/repl-offset AUX fields (Redis 4.0+): where the server's replication history stood at the save. */
  replid: string | null;
  replOffset: number | null;
  /** repl-stream-db: the db the server's stream was in at repl-offset (saved only by a master with a backlog). */
  replStreamDb: number | null;
  redisVersion: string | null;
}

/** A file that cannot be loaded: names it, the byte offset when the content is at fault, and what to do. */
export class RdbFileError extends Error {
  readonly retryable = false;
  constructor(message: string, readonly file: string, readonly offset: number | null) {
    super(message);
    this.name = 'RdbFileError';
  }
}

/** The reader's or the file system's error as a message about this file. */
export function rdbFileError(path: string, size: number | null, err: unknown): RdbFileError {
  if (err instanceof RdbFileError) return err;
  if (err instanceof RdbError) {
    const truncated = /but the input ended/.test(err.message);
    const what = truncated
      ? `it ends at byte ${size ?? err.offset} before its EOF record: the file is truncated (a copy taken while it was written, or cut short). Copy it again from its source (a dump.rdb is complete once BGSAVE has renamed it into place), then run the task again`
      : `the bytes there are not a valid RDB: the file is damaged or not an RDB file. Restore another copy (redis-check-rdb ${path} reports the same), then run the task again`;
    return new RdbFileError(`RDB file ${path}: ${err.message}; ${what}`, path, err.offset);
  }
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file on the host that runs the daemon (source.rdbFile is read there)'
    : e.code === 'EACCES' ? 'permission denied: the daemon\'s user must be able to read it'
      : e.code === 'EISDIR' ? 'a directory, not a file' : e.message;
  return new RdbFileError(`RDB file ${path}: ${why}`, path, null);
}

/** Reads the file's identity and its header and AUX fields (not its keys). */
export async function readRdbFileInfo(path: string): Promise<RdbFileInfo> {
  let bytes: number | null = null;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    bytes = st.size;
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(Math.min(bytes, HEADER_READ_MAX));
      await fh.read(head, 0, head.length, 0);
      const tail = Buffer.alloc(Math.min(bytes, TAG_SPAN));
      await fh.read(tail, 0, tail.length, bytes - tail.length);
      const tag = createHash('sha1').update(String(bytes)).update(head.subarray(0, TAG_SPAN)).update(tail).digest('hex').slice(0, 16);
      return { path, bytes, tag, ...headerFields(head, bytes) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw rdbFileError(path, bytes, err);
  }
}

function headerFields(head: Buffer, size: number): Omit<RdbFileInfo, 'path' | 'bytes' | 'tag'> {
  const reader = new RdbReader({ verifyChecksum: false });
  const aux = new Map<string, string>();
  let done = false;
  reader.push(head, (e) => {
    if (e.kind === 'aux') aux.set(e.name.toString('latin1'), e.value.toString('latin1'));
    else done = true;
    return !done;
  });
  // A file shorter than its header, or whose first records are cut: the load would fail there; say it now.
  if (!done && head.length >= size) reader.end();
  const int = (name: string): number | null => (aux.has(name) && /^-?\d+$/.test(aux.get(name)!) ? Number(aux.get(name)) : null);
  const replid = aux.get('repl-id') ?? null;
  return {
    rdbVersion: reader.rdbVersion,
    replid: replid && /^[0-9a-f]{40}$/.test(replid) ? replid : null,
    replOffset: int('repl-offset'),
    replStreamDb: int('repl-stream-db'),
    redisVersion: aux.get('redis-ver') ?? null,
  };
}

export interface RdbFileChunks {
  pause(): void;
  resume(): void;
  close(): void;
}

/** The file's bytes in chunks, with flow control: onData for each, then onEnd, or onError (an RdbFileError). */
export function streamRdbFile(info: RdbFileInfo, h: { onData(chunk: Buffer): void; onEnd(): void; onError(err: RdbFileError): void }): RdbFileChunks {
  const stream: ReadStream = createReadStream(info.path, { highWaterMark: CHUNK_BYTES });
  let closed = false;
  stream.on('data', (chunk) => { if (!closed) h.onData(chunk as Buffer); });
  stream.on('end', () => { if (!closed) h.onEnd(); });
  stream.on('error', (err) => { if (!closed) h.onError(rdbFileError(info.path, info.bytes, err)); });
  return {
    pause: () => stream.pause(),
    resume: () => { if (!closed) stream.resume(); },
    close: () => { closed = true; stream.destroy(); },
  };
}
