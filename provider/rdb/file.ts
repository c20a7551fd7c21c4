// Reading an RDB file from disk through the streaming reader, in chunks, so memory does not grow with the file.
import { createReadStream } from 'node:fs';
import type { RdbEntry } from './entry';
import { RdbReader, type RdbReaderOptions } from './reader';

const CHUNK_BYTES = 256 * 1024;

export async function* readRdbFile(path: string, opts?: RdbReaderOptions): AsyncGenerator<RdbEntry> {
  const reader = new RdbReader(opts);
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) {
      const entries = reader.push(chunk as Buffer);
      for (let i = 0; i < entries.length; i++) yield entries[i];
    }
  } finally {
    stream.destroy();
  }
  yield* reader.end();
}
