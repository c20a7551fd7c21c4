// Incremental parser for a master's replication stream: RESP arrays of bulk strings, plus inline commands.
//
// Offsets follow Redis's replication offset: the stream's byte count, where `offset` of a command is the
// offset right after its last byte (what the master's master_repl_offset was once it had propagated it).
// Every byte counts, including PING, SELECT, REPLCONF GETACK and empty inline lines.
//
// Zero-copy: a command that lies inside one pushed chunk yields argv and raw as subarrays of that chunk, so
// they keep the chunk alive as long as they are referenced. A command spanning chunks costs one copy of its
// raw bytes; bulks are never re-copied while waiting for the rest of a large value, so big values cost O(n).
//
// Memory per command is bounded whatever the declared sizes: a declared array or bulk above its limit fails before
// anything is allocated for it, and while a command's bytes arrive nothing is kept per argument (argv is built from
// the raw bytes once the command is complete), so a declared `*67108864` fed with empty bulks costs the bytes
// received, not ~135 bytes of Buffer object per argument.
//
// Bad input throws RespProtocolError naming the stream offset of the offending byte and what was expected;
// the parser then stays failed (the stream position is lost, the link must be re-established).

export interface ParsedCommand {
  argv: Buffer[];
  /** The command's exact bytes on the wire. */
  raw: Buffer;
  /** Replication offset after this command. */
  offset: number;
}

export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
  constructor(
    /** Stream offset of the offending byte. */
    readonly offset: number,
    readonly expected: string,
    found: string,
  ) {
    super(`replication stream protocol error at offset ${offset}: expected ${expected}, found ${found}`);
  }
}

export interface CommandParserOptions {
  /** Largest bulk accepted (Redis's proto-max-bulk-len default). */
  maxBulkLength?: number;
  /** Most arguments in one command. */
  maxArrayLength?: number;
  /** Longest inline command line (Redis's PROTO_INLINE_MAX_SIZE). */
  maxInlineLength?: number;
  /** Largest command in bytes, bounding what one command can make the parser buffer. */
  maxCommandBytes?: number;
}

export const DEFAULT_MAX_BULK_LENGTH = 512 * 1024 * 1024;
/** Redis accepts longer commands from a client, but a replication stream with one is rare: the limit is tunable. */
export const DEFAULT_MAX_ARRAY_LENGTH = 1024 * 1024;
export const DEFAULT_MAX_INLINE_LENGTH = 64 * 1024;
export const DEFAULT_MAX_COMMAND_BYTES = 1024 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const MAX_HEADER_DIGITS = 18;
/** First bytes of RESP replies ($ + - :), never of an inline command. */
const REPLY_TYPES: readonly number[] = [36, 43, 45, 58];

export class CommandParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Stream offset of buf[0]. */
  private base: number;
  /** Chunks received while waiting for `need` bytes; joined once enough are there. */
  private chunks: Buffer[] = [];
  private chunksLen = 0;
  private need = 1;
  private failure: RespProtocolError | null = null;
  // A multibulk command in progress across buffers: its argument count, and how many are still to come.
  private argc = 0;
  private left = 0;
  private cmdStart = 0;
  private pieces: Buffer[] = [];
  private bulkLen = -1;
  private num = 0;
  private readonly maxBulk: number;
  private readonly maxArray: number;
  private readonly maxInline: number;
  private readonly maxCommand: number;

  constructor(startOffset = 0, opts: CommandParserOptions = {}) {
    this.base = startOffset;
    this.maxBulk = opts.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH;
    this.maxArray = opts.maxArrayLength ?? DEFAULT_MAX_ARRAY_LENGTH;
    this.maxInline = opts.maxInlineLength ?? DEFAULT_MAX_INLINE_LENGTH;
    this.maxCommand = opts.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES;
  }

  /** Offset after the last byte consumed: the last returned command, or skipped empty lines after it. */
  get offset(): number {
    return this.left === 0 ? this.base + this.pos : this.cmdStart;
  }

  /** Stream offset up to which bytes have been pushed. */
  get receivedOffset(): number {
    return this.base + this.buf.length + this.chunksLen;
  }

  /** Bytes pushed but not yet returned as commands. */
  get bufferedBytes(): number {
    return this.receivedOffset - this.offset;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.chunksLen === 0 && this.pos >= this.buf.length) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    this.chunks.push(chunk);
    this.chunksLen += chunk.length;
  }

  /** The next complete command, or null until more bytes are pushed. Throws RespProtocolError on bad bytes. */
  next(): ParsedCommand | null {
    if (this.failure !== null) throw this.failure;
    if (this.chunksLen > 0) {
      if (this.buf.length - this.pos + this.chunksLen < this.need) return null;
      this.join();
    }
    try {
      for (;;) {
        if (this.pos >= this.buf.length) {
          this.need = 1;
          return null;
        }
        const cmd = this.left > 0 || this.buf[this.pos] === STAR ? this.parseMultibulk() : this.parseInline();
        if (cmd !== undefined) return cmd;
      }
    } catch (err) {
      if (err instanceof RespProtocolError) this.failure = err;
      throw err;
    }
  }

  /** Pushes a chunk and returns every command now complete. */
  feed(chunk: Buffer): ParsedCommand[] {
    this.push(chunk);
    const out: ParsedCommand[] = [];
    for (let cmd = this.next(); cmd !== null; cmd = this.next()) out.push(cmd);
    return out;
  }

  private join(): void {
    const rest = this.pos < this.buf.length ? [this.buf.subarray(this.pos), ...this.chunks] : this.chunks;
    this.base += this.pos;
    this.buf = rest.length === 1 ? rest[0] : Buffer.concat(rest);
    this.pos = 0;
    this.chunks = [];
    this.chunksLen = 0;
  }

  /** A command, null when incomplete, undefined when bytes were consumed without a command (`*0`, `*-1`). */
  private parseMultibulk(): ParsedCommand | null | undefined {
    const b = this.buf;
    const end = b.length;
    let p = this.pos;
    if (this.left === 0) {
      const q = this.readInt(p + 1, end, 'the array length');
      if (q < 0) return this.incomplete(p, end - p + 1);
      const n = this.num;
      if (n > this.maxArray) throw this.error(p + 1, `an array length of at most ${this.maxArray} (tuning.maxCommandArgs)`, `a declared length of ${n}`);
      if (n <= 0) {
        this.pos = q;
        return undefined;
      }
      this.cmdStart = this.base + p;
      this.argc = n;
      this.left = n;
      this.bulkLen = -1;
      p = q;
    }
    const segStart = this.pos;
    while (this.left > 0) {
      let len = this.bulkLen;
      if (len < 0) {
        if (p >= end) return this.suspend(segStart, p, 1);
        if (b[p] !== DOLLAR) throw this.error(p, `'$' (bulk ${this.argc - this.left + 1} of ${this.argc})`, describe(b[p]));
        const q = this.readInt(p + 1, end, 'the bulk length');
        if (q < 0) return this.suspend(segStart, p, end - p + 1);
        len = this.num;
        if (len < 0 || len > this.maxBulk) throw this.error(p + 1, `a bulk length between 0 and ${this.maxBulk}`, `a declared length of ${len}`);
        this.bulkLen = len;
        p = q;
        this.checkCommandSize(p + len + 2);
      }
      if (p + len + 2 > end) return this.suspend(segStart, p, len + 2);
      if (b[p + len] !== CR || b[p + len + 1] !== LF) {
        const at = b[p + len] !== CR ? p + len : p + len + 1;
        throw this.error(at, `CRLF after a bulk of ${len} bytes`, describe(b[at]));
      }
      p += len + 2;
      this.bulkLen = -1;
      this.left--;
    }
    let raw: Buffer;
    if (this.pieces.length === 0) {
      raw = b.subarray(segStart, p);
    } else {
      this.pieces.push(b.subarray(segStart, p));
      raw = Buffer.concat(this.pieces);
      this.pieces = [];
    }
    this.pos = p;
    return { argv: argvOf(raw, this.argc), raw, offset: this.base + p };
  }

  /** Parks a multibulk command mid-way: this buffer's part of its bytes goes to `pieces` (argv is built at the end). */
  private suspend(segStart: number, p: number, need: number): null {
    if (p > segStart) this.pieces.push(this.buf.subarray(segStart, p));
    this.pos = p;
    this.need = need;
    return null;
  }

  private incomplete(p: number, need: number): null {
    this.pos = p;
    this.need = need;
    return null;
  }

  private checkCommandSize(endPos: number): void {
    const size = this.base + endPos - this.cmdStart;
    if (size > this.maxCommand) throw this.error(this.base + endPos - 1, `a command of at most ${this.maxCommand} bytes`, `${size} bytes`);
  }

  /** Reads `[-]digits CR LF` at p; returns the index after LF (value in this.num) or -1 if incomplete. */
  private readInt(p: number, end: number, what: string): number {
    let i = p;
    let neg = false;
    if (i < end && this.buf[i] === 45) {
      neg = true;
      i++;
    }
    const digits = i;
    let n = 0;
    for (; i < end; i++) {
      const c = this.buf[i];
      if (c >= 48 && c <= 57) {
        if (i - digits >= MAX_HEADER_DIGITS) throw this.error(i, `at most ${MAX_HEADER_DIGITS} digits in ${what}`, 'more');
        n = n * 10 + (c - 48);
      } else if (c === CR) {
        break;
      } else {
        throw this.error(i, `a digit or CR in ${what}`, describe(c));
      }
    }
    if (i + 1 >= end) return -1;
    if (i === digits) throw this.error(i, `digits in ${what}`, describe(this.buf[i]));
    if (this.buf[i + 1] !== LF) throw this.error(i + 1, `LF after ${what}`, describe(this.buf[i + 1]));
    this.num = neg ? -n : n;
    return i + 2;
  }

  /** Inline command: a line split on spaces and tabs (quotes are not interpreted). */
  private parseInline(): ParsedCommand | null | undefined {
    const b = this.buf;
    const start = this.pos;
    if (REPLY_TYPES.includes(b[start])) throw this.replyInStream(start);
    const lf = b.indexOf(LF, start);
    if (lf < 0) {
      if (b.length - start > this.maxInline) throw this.error(start + this.maxInline, `an inline command of at most ${this.maxInline} bytes`, 'no newline');
      return this.incomplete(start, b.length - start + 1);
    }
    if (lf - start > this.maxInline) throw this.error(start + this.maxInline, `an inline command of at most ${this.maxInline} bytes`, 'no newline');
    const lineEnd = lf > start && b[lf - 1] === CR ? lf - 1 : lf;
    const argv: Buffer[] = [];
    let i = start;
    while (i < lineEnd) {
      const c = b[i];
      if (c === 32 || c === 9) {
        i++;
        continue;
      }
      const s = i;
      for (; i < lineEnd; i++) {
        const d = b[i];
        if (d === 32 || d === 9) break;
        if (d < 32 || d === 127) throw this.error(i, 'printable bytes in an inline command', describe(d));
      }
      argv.push(b.subarray(s, i));
    }
    this.pos = lf + 1;
    if (argv.length === 0) return undefined;
    return { argv, raw: b.subarray(start, lf + 1), offset: this.base + lf + 1 };
  }

  /** A reply in the stream (e.g. an error for something the replica sent) must not pass as a command. */
  private replyInStream(start: number): RespProtocolError {
    const b = this.buf;
    let end = start;
    while (end < b.length && end < start + 80 && b[end] !== CR && b[end] !== LF) end++;
    const text = b.toString('latin1', start, end).replace(/[^\x20-\x7e]/g, '?');
    return this.error(start, "'*' or an inline command", `a RESP reply line "${text}"`);
  }

  private error(pos: number, expected: string, found: string): RespProtocolError {
    return new RespProtocolError(this.base + pos, expected, found);
  }
}

/** The arguments of a complete, already validated multibulk command, as views of its raw bytes. */
function argvOf(raw: Buffer, argc: number): Buffer[] {
  const argv = new Array<Buffer>(argc);
  let p = raw.indexOf(LF) + 1;
  for (let i = 0; i < argc; i++) {
    let len = 0;
    let q = p + 1;
    for (; raw[q] !== CR; q++) len = len * 10 + (raw[q] - 48);
    q += 2;
    argv[i] = raw.subarray(q, q + len);
    p = q + len + 2;
  }
  return argv;
}

function describe(byte: number | undefined): string {
  if (byte === undefined) return 'end of input';
  if (byte >= 33 && byte <= 126) return `'${String.fromCharCode(byte)}'`;
  return `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
