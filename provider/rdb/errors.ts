// Errors of the RDB reader. RdbError is the only exception type the reader lets out, so callers can tell
// "this input is bad" from a bug; the two internal signals below never leave provider/rdb.

/** The input is not a (supported) RDB stream: names the byte offset, the key when known, and what was expected there. */
export class RdbError extends Error {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly expected: string;

  constructor(expected: string, offset: number, key: Buffer | null = null) {
    const where = key === null ? '' : ` in key ${JSON.stringify(printable(key))}`;
    super(`RDB parse error at byte offset ${offset}${where}: expected ${expected}`);
    this.name = 'RdbError';
    this.offset = offset;
    this.key = key;
    this.expected = expected;
  }
}

/** Internal: the bytes buffered so far end before the current unit does; `want` is the buffer index it needs to reach. */
export class NeedMore {
  constructor(readonly want: number) {}
}

/** Internal: corrupt data at a buffer index; the reader turns it into an RdbError with the absolute offset and key. */
export class CorruptData extends Error {
  constructor(readonly expected: string, readonly at: number) {
    super(expected);
  }
}

function printable(key: Buffer): string {
  const text = key.toString('utf8');
  const shown = Buffer.from(text, 'utf8').equals(key) ? text : `base64:${key.toString('base64')}`;
  return shown.length > 200 ? `${shown.slice(0, 200)}...` : shown;
}
