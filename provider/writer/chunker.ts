// Splits a variadic command (RPUSH key e1 e2 ...) into commands of bounded elements and bytes, so a big key never
// becomes one command the destination must buffer whole.
import { encodeCommand, type Arg } from '../resp/encode';

export interface ChunkLimits {
  elements: number;
  bytes: number;
}

function argBytes(a: Arg): number {
  return Buffer.isBuffer(a) ? a.length : typeof a === 'string' ? Buffer.byteLength(a) : 24;
}

/** Yields `prefix ...items` commands; an item (e.g. a score and its member) is never split across commands. */
export function* chunkedCommands(prefix: readonly Arg[], items: Iterable<readonly Arg[]>, limits: ChunkLimits): Generator<Buffer> {
  let args: Arg[] = [...prefix];
  let count = 0;
  let bytes = 0;
  for (const item of items) {
    args.push(...item);
    count++;
    for (const a of item) bytes += argBytes(a);
    if (count >= limits.elements || bytes >= limits.bytes) {
      yield encodeCommand(args);
      args = [...prefix];
      count = 0;
      bytes = 0;
    }
  }
  if (count > 0) yield encodeCommand(args);
}
