// A decoded value (or one part of a big key) as ordinary write commands, for a destination that cannot RESTORE the
// source's payload or for a value too big for one RESTORE. The key is expected not to exist yet (DEL comes first).
import type { DecodedValue } from '../rdb/entry';
import { encodeCommand, type Arg } from '../resp/encode';
import { chunkedCommands, type ChunkLimits } from './chunker';
import { formatScore } from './score';
import { streamCommands } from './stream-commands';
import type { Dialect } from './dialect/dialect';

export interface ValueCommandOptions {
  limits: ChunkLimits;
  /** What the destination understands: HMSET before 4.0, no field TTLs before 7.4, stream options by version. */
  dialect: Dialect;
  nowMs: number;
  /** For a big key's later parts: a string part appends instead of setting. */
  continuation: boolean;
}

export class UnsupportedValueError extends Error {}

export function* valueCommands(key: Buffer, value: DecodedValue, opts: ValueCommandOptions): Generator<Buffer> {
  switch (value.kind) {
    case 'string': return yield* stringCommands(key, value.value, opts);
    case 'list': return yield* chunkedCommands(['RPUSH', key], value.elements.map((e) => [e]), opts.limits);
    case 'set': return yield* chunkedCommands(['SADD', key], value.members.map((m) => [m]), opts.limits);
    case 'zset': return yield* chunkedCommands(['ZADD', key], value.members.map(([m, s]) => [formatScore(s), m]), opts.limits);
    case 'hash': return yield* hashCommands(key, value.fields, value.fieldExpireAtMs, opts);
    case 'stream':
      if (!opts.dialect.streams) throw new UnsupportedValueError('streams need Redis 5.0 or later');
      return yield* streamCommands(key, value.stream, opts);
    case 'module': throw new UnsupportedValueError(`a ${value.moduleType} module value can only be copied by RESTORE`);
  }
}

function* stringCommands(key: Buffer, value: Buffer, opts: ValueCommandOptions): Generator<Buffer> {
  const step = Math.max(1, opts.limits.bytes);
  if (!opts.continuation) {
    yield encodeCommand(['SET', key, value.subarray(0, step)]);
  }
  for (let pos = opts.continuation ? 0 : step; pos < value.length; pos += step) {
    yield encodeCommand(['APPEND', key, value.subarray(pos, pos + step)]);
  }
}

function* hashCommands(key: Buffer, fields: Array<[Buffer, Buffer]>, ttls: Array<[Buffer, number]>, opts: ValueCommandOptions): Generator<Buffer> {
  if (!opts.dialect.fieldTtls && ttls.some(([, at]) => at > opts.nowMs)) {
    throw new UnsupportedValueError('hash field TTLs need a destination with HPEXPIREAT (Redis 7.4+)');
  }
  // A field already past its TTL is dropped here, as the destination would drop it on first access.
  const expired = new Set(ttls.filter(([, at]) => at <= opts.nowMs).map(([f]) => f.toString('latin1')));
  const live = expired.size === 0 ? fields : fields.filter(([f]) => !expired.has(f.toString('latin1')));
  yield* chunkedCommands([opts.dialect.variadicHset ? 'HSET' : 'HMSET', key], live, opts.limits);
  const byTime = new Map<number, Buffer[]>();
  for (const [f, at] of ttls) {
    if (at > opts.nowMs) (byTime.get(at) ?? byTime.set(at, []).get(at)!).push(f);
  }
  for (const [at, names] of byTime) {
    for (let i = 0; i < names.length; i += opts.limits.elements) {
      const chunk = names.slice(i, i + opts.limits.elements);
      const args: Arg[] = ['HPEXPIREAT', key, at, 'FIELDS', chunk.length, ...chunk];
      yield encodeCommand(args);
    }
  }
}
