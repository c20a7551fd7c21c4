// The KeyEntry the reader emits: a class rather than a closure per key, since a snapshot can hold millions.
import type { DecodedValue, KeyEntry, ValueKind } from './entry';
import { CorruptData, RdbError } from './errors';
import { decodeRaw } from './value';

export class KeyRecord implements KeyEntry {
  readonly kind = 'key' as const;

  constructor(
    readonly db: number,
    readonly key: Buffer,
    readonly rdbType: number,
    readonly valueKind: ValueKind,
    readonly expireAtMs: number | null,
    readonly idleSeconds: number | null,
    readonly freq: number | null,
    readonly raw: Buffer,
    readonly offset: number,
  ) {}

  decode(): DecodedValue {
    try {
      return decodeRaw(this.rdbType, this.raw);
    } catch (e) {
      if (e instanceof CorruptData) throw new RdbError(e.expected, this.offset, this.key);
      throw new RdbError(`a decodable value (${e instanceof Error ? e.message : String(e)})`, this.offset, this.key);
    }
  }
}
