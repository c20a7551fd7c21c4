// A stream rewritten as commands: entries with their own ids, then the metadata XADD cannot set (last id, entries
// added, max deleted id), then consumer groups with their consumers and pending entries.
import type { StreamId, StreamValue, StreamGroup, StreamPendingEntry } from '../rdb/entry';
import { encodeCommand, type Arg } from '../resp/encode';
import type { ChunkLimits } from './chunker';
import type { Dialect } from './dialect/dialect';

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

// A group that exists only long enough for MKSTREAM to create an empty stream (XADD cannot make an empty one).
const MKSTREAM_GROUP = '__redis-sync-mkstream__';

export interface StreamCommandOptions {
  limits: ChunkLimits;
  /** streamMetadata (7.0): XSETID ENTRIESADDED/MAXDELETEDID, XGROUP CREATE ENTRIESREAD; redis62: CREATECONSUMER. */
  dialect: Dialect;
}

/** XADD of each entry with its own id: all of a small stream, or one part of a big one. */
export function* streamEntryCommands(key: Buffer, entries: StreamValue['entries']): Generator<Buffer> {
  for (const [id, fields] of entries) {
    const args: Arg[] = ['XADD', key, formatStreamId(id)];
    for (const [f, v] of fields) args.push(f, v);
    yield encodeCommand(args);
  }
}

/** A stream as commands. The last part of a big stream goes through here too: MKSTREAM then does nothing harmful. */
export function* streamCommands(key: Buffer, stream: StreamValue, opts: StreamCommandOptions): Generator<Buffer> {
  yield* streamEntryCommands(key, stream.entries);
  if (stream.entries.length === 0) {
    yield encodeCommand(['XGROUP', 'CREATE', key, MKSTREAM_GROUP, '0-0', 'MKSTREAM']);
    yield encodeCommand(['XGROUP', 'DESTROY', key, MKSTREAM_GROUP]);
  }
  yield xsetid(key, stream, opts.dialect.streamMetadata);
  for (const group of stream.groups) yield* groupCommands(key, group, opts);
}

function xsetid(key: Buffer, stream: StreamValue, redis7: boolean): Buffer {
  const args: Arg[] = ['XSETID', key, formatStreamId(stream.lastId)];
  if (redis7 && stream.entriesAdded !== null) args.push('ENTRIESADDED', stream.entriesAdded);
  if (redis7 && stream.maxDeletedEntryId !== null) args.push('MAXDELETEDID', formatStreamId(stream.maxDeletedEntryId));
  return encodeCommand(args);
}

function* groupCommands(key: Buffer, group: StreamGroup, opts: StreamCommandOptions): Generator<Buffer> {
  const create: Arg[] = ['XGROUP', 'CREATE', key, group.name, formatStreamId(group.lastDeliveredId)];
  if (opts.dialect.streamMetadata && group.entriesRead !== null) create.push('ENTRIESREAD', group.entriesRead);
  yield encodeCommand(create);
  // XCLAIM creates the consumers it names; only consumers with an empty PEL need CREATECONSUMER (6.2+; before, such a
  // consumer cannot be created without a pending entry and is left out).
  const claiming = new Set(group.pending.map((p) => p.consumer.toString('latin1')));
  for (const consumer of group.consumers) {
    if (opts.dialect.redis62 && !claiming.has(consumer.name.toString('latin1'))) yield encodeCommand(['XGROUP', 'CREATECONSUMER', key, group.name, consumer.name]);
  }
  for (const run of claimRuns(group.pending, opts.limits.elements)) {
    const first = run[0];
    // FORCE creates the PEL entry, TIME and RETRYCOUNT restore delivery time and count, JUSTID keeps the count as given.
    yield encodeCommand([
      'XCLAIM', key, group.name, first.consumer, 0, ...run.map((p) => formatStreamId(p.id)),
      'TIME', first.deliveryTimeMs, 'RETRYCOUNT', first.deliveryCount, 'FORCE', 'JUSTID',
    ]);
  }
}

/** Consecutive pending entries with the same consumer, delivery time and count share one XCLAIM. */
function* claimRuns(pending: StreamPendingEntry[], max: number): Generator<StreamPendingEntry[]> {
  let run: StreamPendingEntry[] = [];
  for (const p of pending) {
    const head = run[0];
    if (head && (run.length >= max || !head.consumer.equals(p.consumer) || head.deliveryTimeMs !== p.deliveryTimeMs || head.deliveryCount !== p.deliveryCount)) {
      yield run;
      run = [];
    }
    run.push(p);
  }
  if (run.length > 0) yield run;
}
