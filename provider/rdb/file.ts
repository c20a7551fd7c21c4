// Reading an RDB file from disk through the streaming reader, in chunks, so memory does not grow with the file.
import { createReadStream } from 'node:fs';
import type { RdbEntry } from './entry';
import { RdbReader, type RdbReaderOptions } from './reader';

const CHUNK_BYTES = 256 * 1024;

/** The entries of each chunk as one array: one await per chunk instead of one per entry, for hot loops. */
export async function* readRdbFileBatches(path: string, opts?: RdbReaderOptions): AsyncGenerator<RdbEntry[]> {
  const reader = new RdbReader(opts);
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) {
      const entries = reader.push(chunk as Buffer);
      if (entries.length > 0) yield entries;
    }
  } finally {
    stream.destroy();
  }
  const last = reader.end();
  if (last.length > 0) yield last;
}

export async function* readRdbFile(path: string, opts?: RdbReaderOptions): AsyncGenerator<RdbEntry> {
  for await (const batch of readRdbFileBatches(path, opts)) yield* batch;
}
