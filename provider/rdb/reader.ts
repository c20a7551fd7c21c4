// The streaming RDB reader: bytes in (as they arrive from a socket or file), entries out as soon as each is complete.
//
// Each unit (a record header, one collection item, a whole small value) is parsed atomically from the buffered bytes;
// when the bytes end inside a unit the parse is abandoned and retried once at least the missing amount has arrived,
// so a unit is never re-parsed more than once per shortfall. Collection values resume at item boundaries, which is
// what keeps 1-byte chunks linear and lets a value above bigKeyBytes be handed out in parts instead of held whole.
import { Crc64 } from './crc64';
import { Cursor } from './cursor';
import { RDB_OPCODE, RDB_TYPE, type RdbEntry } from './entry';
import { CorruptData, NeedMore, RdbError } from './errors';
import { KeyRecord } from './key-record';
import { skipModuleAux } from './module';
import { Acc, layoutOf, type Layout } from './value';

export const RDB_VERSION_MIN = 1;
export const RDB_VERSION_MAX = 12;
/** What the task's tuning.bigKeyBytes defaults to: a value held whole costs about three copies of it. */
const DEFAULT_BIG_KEY_BYTES = 16 * 1024 * 1024;
const MAX_PART_BYTES = 1024 * 1024;
/**
 * Elements per part, whatever their bytes: each decoded element is a Buffer object of ~100 bytes of heap, and a
 * megabyte of LZF-compressed list nodes expands to ~300k of them (measured: 137 MB of heap for one part).
 */
const MAX_PART_ELEMENTS = 16 * 1024;

export interface RdbReaderOptions {
  /** A value whose encoded size passes this is emitted as bigkey-begin / bigkey-part... / bigkey-end. */
  bigKeyBytes?: number;
  /** Check the CRC-64 trailer (RDB >= 5) when the file has one (a zero trailer means the writer disabled it). */
  verifyChecksum?: boolean;
}

const enum State { Header, Record, Value, BigString, Checksum, Done }

/** What a sink threw, carried through the reader's own error handling untouched (it is not a bad RDB). */
class SinkFailed {
  constructor(readonly cause: unknown) {}
}

/**
 * Receives each entry as soon as it is complete, while the reader is still walking the pushed bytes. Returning
 * false stops the reader after the current unit (backpressure): the rest of the pushed bytes wait for resume().
 */
export type RdbSink = (e: RdbEntry) => boolean | void;

export class RdbReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Absolute stream offset of buf[0]. */
  private base = 0;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes needed from pos before parsing can make progress. */
  private need = 9;
  private readonly cursor = new Cursor(this.buf, 0, 0, true);
  private state = State.Header;
  private failure: RdbError | null = null;
  private out: RdbEntry[] = [];
  private sink: RdbSink | null = null;
  private stalled = false;
  private version = 0;
  private db = 0;

  private readonly crc = new Crc64();
  private crcPos = 0;
  private readonly verify: boolean;
  private readonly bigKeyBytes: number;
  private readonly partBytes: number;

  // The key record in progress.
  private recordStart = -1;
  private expireAtMs: number | null = null;
  private idleSeconds: number | null = null;
  private freq: number | null = null;
  private key: Buffer | null = null;
  private rdbType = 0;
  private layout: Layout | null = null;
  private valueStart = 0;
  private itemsLeft = -1;
  private rawParts: Buffer[] = [];
  private rawLen = 0;
  private big: Acc | null = null;
  private bigFlushedAt = 0;
  /** Bytes walked before the value turned big, decoded into parts a step at a time; the first holds the header. */
  private backlog: Buffer[] = [];
  private backlogCursor: Cursor | null = null;
  private backlogHeader = false;
  private bigStringLeft = 0;

  constructor(opts: RdbReaderOptions = {}) {
    const big = opts.bigKeyBytes ?? DEFAULT_BIG_KEY_BYTES;
    if (!(big >= 1)) throw new RangeError(`bigKeyBytes must be a positive number (got ${big})`);
    this.bigKeyBytes = big;
    this.partBytes = Math.min(big, MAX_PART_BYTES);
    this.verify = opts.verifyChecksum ?? true;
  }

  get rdbVersion(): number {
    return this.version;
  }

  /** Absolute offset of the next byte to be parsed. */
  get offset(): number {
    return this.base + this.pos;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Whether a sink stopped the reader with pushed bytes left: call resume() before end(). */
  get isStalled(): boolean {
    return this.stalled;
  }

  /**
   * Feeds the next bytes. Entries share memory with the chunks (keys and raw values are views, not copies, which
   * is most of the reader's speed), so a chunk must not be modified after it is pushed; an entry kept for long
   * keeps its chunk alive, so copy what you store.
   *
   * With a sink, entries go to it as they are made and push returns nothing: a big value's parts are then consumed
   * one by one instead of all existing at once (a value that turns big is decoded up to bigKeyBytes in one step).
   * What the sink throws comes out of push unchanged.
   */
  push(chunk: Buffer, sink: RdbSink | null = null): RdbEntry[] {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return [];
    if (this.state === State.Done) throw this.fail(new RdbError('no bytes after the end of the RDB (EOF and checksum)', this.offset + this.pendingLen));
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    if (this.buf.length - this.pos + this.pendingLen < this.need) return [];
    this.merge();
    return this.runWith(sink);
  }

  /** Goes on with the bytes already pushed after a sink returned false; it may stop again. */
  resume(sink: RdbSink): void {
    if (this.failure) throw this.failure;
    if (!this.stalled) return;
    if (this.pendingLen > 0) this.merge();
    this.runWith(sink);
  }

  private runWith(sink: RdbSink | null): RdbEntry[] {
    this.stalled = false;
    this.sink = sink;
    try {
      return this.run();
    } finally {
      this.sink = null;
    }
  }

  end(): RdbEntry[] {
    if (this.failure) throw this.failure;
    if (this.state === State.Done) return [];
    const key = this.state === State.Value || this.state === State.BigString ? this.key : null;
    throw this.fail(new RdbError(`${this.expecting()}, but the input ended`, this.offset, key));
  }

  private expecting(): string {
    switch (this.state) {
      case State.Header: return 'the 9-byte RDB header';
      case State.Record: return this.recordStart >= 0 ? 'the rest of a key record' : 'another record or the EOF opcode';
      case State.Value:
      case State.BigString: return `the rest of a value of type ${this.rdbType}`;
      case State.Checksum: return 'the 8-byte CRC-64 trailer';
      default: return 'nothing';
    }
  }

  private fail(e: RdbError): RdbError {
    this.failure = e;
    this.pending = [];
    return e;
  }

  /** Joins the unparsed rest of the buffer with the chunks that arrived, keeping already-walked value bytes aside. */
  private merge(): void {
    this.crcUpTo(this.pos);
    if (this.state === State.Value && this.big === null && this.pos > this.valueStart) {
      this.rawParts.push(this.buf.subarray(this.valueStart, this.pos));
      this.rawLen += this.pos - this.valueStart;
    }
    const rest = this.buf.length - this.pos;
    if (rest > 0) this.pending.unshift(this.buf.subarray(this.pos));
    this.buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, rest + this.pendingLen);
    this.base += this.pos;
    this.pos = 0;
    this.valueStart = 0;
    this.crcPos = 0;
    this.pending = [];
    this.pendingLen = 0;
    this.need = 0;
  }

  private crcUpTo(end: number): void {
    if (this.verify && this.version >= 5 && end > this.crcPos) this.crc.update(this.buf, this.crcPos, end);
    this.crcPos = end;
  }

  private run(): RdbEntry[] {
    const c = this.cursor;
    c.buf = this.buf;
    c.end = this.buf.length;
    try {
      for (;;) {
        c.pos = this.pos;
        if (!this.step(c) || this.stalled) break;
      }
    } catch (e) {
      if (e instanceof SinkFailed) throw e.cause;
      if (!(e instanceof NeedMore)) throw this.fail(this.wrap(e));
      this.need = e.want - this.pos;
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private wrap(e: unknown): RdbError {
    if (e instanceof RdbError) return e;
    const key = this.state === State.Value || this.state === State.BigString || this.key !== null ? this.key : null;
    if (e instanceof CorruptData) {
      // Positions inside a decoded blob are relative to the blob; those fall back to the start of the unit.
      const at = e.at >= this.pos && e.at <= this.buf.length ? e.at : this.pos;
      return new RdbError(e.expected, this.base + at, key);
    }
    const msg = e instanceof Error ? e.message : String(e);
    return new RdbError(`well-formed data (${msg})`, this.offset, key);
  }

  private step(c: Cursor): boolean {
    switch (this.state) {
      case State.Header: return this.stepHeader(c);
      case State.Record: return this.stepRecord(c);
      case State.Value: return this.stepValue(c);
      case State.BigString: return this.stepBigString(c);
      case State.Checksum: return this.stepChecksum(c);
      case State.Done:
        if (c.pos < c.end) throw new CorruptData('no bytes after the end of the RDB (EOF and checksum)', c.pos);
        return false;
    }
  }

  private stepHeader(c: Cursor): boolean {
    const at = c.take(9, 'the 9-byte RDB header');
    const magic = this.buf.toString('latin1', at, at + 5);
    const digits = this.buf.toString('latin1', at + 5, at + 9);
    if (magic !== 'REDIS') {
      throw new CorruptData(`the magic "REDIS" (got ${JSON.stringify(this.buf.toString('latin1', at, at + 9))}: not a Redis RDB file)`, at);
    }
    const version = /^[0-9]{4}$/.test(digits) ? Number(digits) : NaN;
    if (!(version >= RDB_VERSION_MIN && version <= RDB_VERSION_MAX)) {
      throw new CorruptData(`an RDB version from ${RDB_VERSION_MIN} to ${RDB_VERSION_MAX} (got ${JSON.stringify(digits)})`, at + 5);
    }
    this.version = version;
    this.pos = c.pos;
    this.state = State.Record;
    return true;
  }

  private stepRecord(c: Cursor): boolean {
    const at = c.pos;
    const op = c.u8('a record type or opcode');
    const offset = this.base + at;
    switch (op) {
      case RDB_OPCODE.EOF: return this.onEof(c, offset);
      case RDB_OPCODE.SELECTDB: {
        const db = c.len('a database number');
        this.db = db;
        return this.emit(c, { kind: 'selectdb', db, offset });
      }
      case RDB_OPCODE.RESIZEDB: {
        const dbSize = c.len('the RESIZEDB database size');
        const expiresSize = c.len('the RESIZEDB expires size');
        return this.emit(c, { kind: 'resizedb', db: this.db, dbSize, expiresSize, offset });
      }
      case RDB_OPCODE.AUX: {
        const name = Buffer.from(c.str('an AUX field name'));
        const value = Buffer.from(c.str('an AUX field value'));
        return this.emit(c, { kind: 'aux', name, value, offset });
      }
      case RDB_OPCODE.SLOT_INFO: {
        const slot = c.len('a SLOT_INFO slot id');
        const slotSize = c.len('a SLOT_INFO slot size');
        const expiresSlotSize = c.len('a SLOT_INFO expires slot size');
        return this.emit(c, { kind: 'slot-info', slot, slotSize, expiresSlotSize, offset });
      }
      case RDB_OPCODE.MODULE_AUX: {
        const moduleType = skipModuleAux(c);
        return this.emit(c, { kind: 'module-aux', moduleType, offset });
      }
      case RDB_OPCODE.FUNCTION2: return this.emit(c, { kind: 'function', code: Buffer.from(c.str('a function library')), offset });
      case RDB_OPCODE.FUNCTION_PRE_GA: return this.emit(c, { kind: 'function', code: readPreGaFunction(c), offset });
      case RDB_OPCODE.EXPIRETIME: {
        const secs = this.buf.readInt32LE(c.take(4, 'a 4-byte expire time in seconds'));
        return this.keyPrefix(c, offset, () => { this.expireAtMs = secs * 1000; });
      }
      case RDB_OPCODE.EXPIRETIME_MS: {
        const ms = c.millis('an 8-byte expire time in milliseconds');
        return this.keyPrefix(c, offset, () => { this.expireAtMs = ms; });
      }
      case RDB_OPCODE.IDLE: {
        const idle = c.len('an LRU idle time');
        return this.keyPrefix(c, offset, () => { this.idleSeconds = idle; });
      }
      case RDB_OPCODE.FREQ: {
        const freq = c.u8('an LFU frequency');
        return this.keyPrefix(c, offset, () => { this.freq = freq; });
      }
      default: return this.startKey(c, op, offset);
    }
  }

  private put(e: RdbEntry): void {
    if (this.sink === null) {
      this.out.push(e);
      return;
    }
    try {
      if (this.sink(e) === false) this.stalled = true;
    } catch (err) {
      throw new SinkFailed(err);
    }
  }

  /** Redis keeps a pending expire/idle/freq across other records (KeyDB writes an AUX there), and so do we. */
  private emit(c: Cursor, e: RdbEntry): boolean {
    this.put(e);
    this.pos = c.pos;
    return true;
  }

  private keyPrefix(c: Cursor, offset: number, apply: () => void): boolean {
    apply();
    if (this.recordStart < 0) this.recordStart = offset;
    this.pos = c.pos;
    return true;
  }

  private onEof(c: Cursor, offset: number): boolean {
    this.pos = c.pos;
    if (this.version >= 5) {
      this.state = State.Checksum;
      return true;
    }
    this.put({ kind: 'eof', checksum: null, offset });
    this.state = State.Done;
    return true;
  }

  private startKey(c: Cursor, rdbType: number, offset: number): boolean {
    const layout = layoutOf(rdbType);
    const known = layout !== undefined || rdbType === RDB_TYPE.MODULE_PRE_GA;
    if (!known) throw new CorruptData(`a known record opcode or value type (got ${rdbType})`, c.pos - 1);
    const key = c.str('a key');
    if (layout === undefined) {
      this.key = key;
      throw new CorruptData('a value this reader can skip: module values in the pre-GA encoding (type 6) have no end marker and need the module to be read', c.pos);
    }
    this.key = key;
    this.rdbType = rdbType;
    this.layout = layout;
    if (this.recordStart < 0) this.recordStart = offset;
    this.pos = c.pos;
    this.valueStart = c.pos;
    this.itemsLeft = -1;
    this.state = State.Value;
    return true;
  }

  private stepValue(c: Cursor): boolean {
    if (this.backlog.length > 0) {
      this.stepBacklog();
      return true;
    }
    const layout = this.layout as Layout;
    if (this.itemsLeft < 0) {
      if (this.rdbType === RDB_TYPE.STRING && this.startBigString(c)) return true;
      const moduleAcc = this.rdbType === RDB_TYPE.MODULE_2 ? new Acc('module') : null;
      const n = layout.header(c, moduleAcc);
      this.itemsLeft = n;
      this.pos = c.pos;
      if (moduleAcc) this.warnModule(moduleAcc.moduleType);
    }
    while (this.itemsLeft > 0) {
      if (this.big === null && layout.splittable && this.rawLen + (c.pos - this.valueStart) > this.bigKeyBytes) {
        this.goBig(c);
        return true;
      }
      layout.item(c, this.big);
      this.pos = c.pos;
      this.itemsLeft--;
      if (this.big !== null && (this.base + c.pos - this.bigFlushedAt >= this.partBytes || this.big.count() >= MAX_PART_ELEMENTS)) {
        this.flushPart(c);
        if (this.stalled) return true;
      }
    }
    if (layout.trailer) {
      layout.trailer(c, this.big);
      this.pos = c.pos;
    }
    this.finishValue();
    return true;
  }

  private warnModule(moduleType: string): void {
    this.put({
      kind: 'warning',
      message: `module value of type ${moduleType} is kept as raw bytes only: it cannot be decoded without the module`,
      key: this.key,
      offset: this.recordStart,
    });
  }

  private beginBig(): void {
    const layout = this.layout as Layout;
    this.put({
      kind: 'bigkey-begin', db: this.db, key: this.key as Buffer, rdbType: this.rdbType,
      valueKind: layout.kind, expireAtMs: this.expireAtMs, offset: this.recordStart,
    });
  }

  /**
   * Switches a value that outgrew bigKeyBytes to parts. What was walked so far is decoded later, a part per step
   * (stepBacklog), so that a sink can stop in between: decoded at once it was up to bigKeyBytes of elements, many
   * times that in memory once LZF-compressed list nodes are expanded into commands.
   */
  private goBig(c: Cursor): void {
    this.beginBig();
    // The backlog references the walked bytes rather than copying them: the copy would double the peak.
    this.backlog = [...this.rawParts, this.buf.subarray(this.valueStart, c.pos)];
    this.backlogCursor = null;
    this.backlogHeader = true;
    this.rawParts = [];
    this.rawLen = 0;
    this.big = new Acc((this.layout as Layout).kind);
    this.bigFlushedAt = this.base + c.pos;
  }

  /** Decodes about partBytes of the backlog into one part. Segments end at item boundaries (see merge). */
  private stepBacklog(): void {
    const layout = this.layout as Layout;
    const acc = this.big as Acc;
    let done = 0;
    while (done < this.partBytes && acc.count() < MAX_PART_ELEMENTS && this.backlog.length > 0) {
      let sc = this.backlogCursor;
      if (sc === null) {
        const seg = this.backlog[0];
        sc = this.backlogCursor = new Cursor(seg, 0, seg.length, false);
        if (this.backlogHeader) {
          layout.header(sc, acc);
          this.backlogHeader = false;
        }
      }
      const from = sc.pos;
      while (sc.pos < sc.end && done + sc.pos - from < this.partBytes && acc.count() < MAX_PART_ELEMENTS) layout.item(sc, acc);
      done += sc.pos - from;
      if (sc.pos >= sc.end) {
        this.backlog.shift();
        this.backlogCursor = null;
      }
    }
    if (acc.count() > 0) this.pushPart(acc);
  }

  private pushPart(acc: Acc): void {
    this.put({ kind: 'bigkey-part', db: this.db, key: this.key as Buffer, part: acc.take() });
  }

  private flushPart(c: Cursor): void {
    const acc = this.big as Acc;
    if (acc.count() > 0) this.pushPart(acc);
    this.bigFlushedAt = this.base + c.pos;
  }

  private finishValue(): void {
    if (this.big !== null) {
      // A stream's last part carries its metadata and groups even with no entries left.
      if (this.big.count() > 0 || this.big.kind === 'stream') this.pushPart(this.big);
      this.put({ kind: 'bigkey-end', db: this.db, key: this.key as Buffer, expireAtMs: this.expireAtMs });
    } else {
      const tail = this.buf.subarray(this.valueStart, this.pos);
      const raw = this.rawParts.length === 0 ? tail : Buffer.concat([...this.rawParts, tail]);
      const layout = this.layout as Layout;
      this.put(new KeyRecord(
        this.db, this.key as Buffer, this.rdbType, layout.kind, this.expireAtMs, this.idleSeconds, this.freq, raw, this.recordStart,
      ));
    }
    this.resetKey();
  }

  private resetKey(): void {
    this.recordStart = -1;
    this.expireAtMs = null;
    this.idleSeconds = null;
    this.freq = null;
    this.key = null;
    this.layout = null;
    this.itemsLeft = -1;
    this.rawParts = [];
    this.rawLen = 0;
    this.big = null;
    this.backlog = [];
    this.backlogCursor = null;
    this.state = State.Record;
  }

  /** A plain string longer than bigKeyBytes is streamed through as parts of its bytes. */
  private startBigString(c: Cursor): boolean {
    const n = c.lenOrEnc('a string length');
    if (c.encoded || n <= this.bigKeyBytes) {
      c.pos = this.pos;
      return false;
    }
    this.beginBig();
    this.bigStringLeft = n;
    this.pos = c.pos;
    this.state = State.BigString;
    return true;
  }

  private stepBigString(c: Cursor): boolean {
    const avail = c.end - c.pos;
    if (avail === 0) throw new NeedMore(c.pos + 1);
    const n = Math.min(avail, this.bigStringLeft, this.partBytes);
    const value = Buffer.from(this.buf.subarray(c.pos, c.pos + n));
    this.put({ kind: 'bigkey-part', db: this.db, key: this.key as Buffer, part: { kind: 'string', value } });
    this.pos = c.pos + n;
    this.bigStringLeft -= n;
    if (this.bigStringLeft === 0) {
      this.put({ kind: 'bigkey-end', db: this.db, key: this.key as Buffer, expireAtMs: this.expireAtMs });
      this.resetKey();
    }
    return true;
  }

  private stepChecksum(c: Cursor): boolean {
    const eofOffset = this.base + c.pos - 1;
    const at = c.take(8, 'the 8-byte CRC-64 trailer');
    this.crcUpTo(at);
    const checksum = Buffer.from(this.buf.subarray(at, at + 8));
    const disabled = checksum.every((b) => b === 0);
    if (this.verify && !disabled) {
      const actual = this.crc.digestLE();
      if (!actual.equals(checksum)) {
        throw new CorruptData(`the CRC-64 trailer ${actual.toString('hex')} computed over the file (got ${checksum.toString('hex')})`, at);
      }
    }
    this.crcPos = c.pos;
    this.put({ kind: 'eof', checksum, offset: eofOffset });
    this.pos = c.pos;
    this.state = State.Done;
    return true;
  }
}

/** FUNCTION_PRE_GA (Redis 7.0 release candidates): name, engine, optional description, code. Redis 7.0 turns it
 * into a library by prefixing the shebang line, and so do we, so both opcodes yield the same kind of code. */
function readPreGaFunction(c: Cursor): Buffer {
  const name = c.str('a function library name');
  const engine = c.str('a function engine name');
  const hasDesc = c.len('a function description flag');
  if (hasDesc) c.skipStr('a function description');
  const code = c.str('a function library body');
  return Buffer.concat([Buffer.from(`#!${engine.toString('latin1')} name=${name.toString('latin1')}\n`), code]);
}
