// During a full sync most keys of most datasets are small strings without a TTL. One MSET for many of them costs the
// destination far less than one RESTORE each (no payload checksum, one command dispatch), and the value bytes go
// out as they are. Anything else (a TTL, another type, a big value) flushes the batch first, so order is kept.
// The incremental batches (tx-batch.ts) do the same with runs of plain `SET key value` of the stream.
import { bulkSize, digitCount, writeBulk, writeHeader } from '../resp/encode';
import { isName } from '../resp/command-name';

export const STRING_BATCH_KEYS = 128;
export const STRING_BATCH_BYTES = 64 * 1024;
/** Above this a value goes alone (RESTORE or a rewrite), so a batch never holds a big one. */
export const STRING_BATCH_VALUE_MAX = 16 * 1024;

const SET = Buffer.from('set');
/** Bytes of `*3\r\n$3\r\nSET\r\n`, what comes before a stream SET's key and value. */
const SET_HEAD = 13;
const MSET_NAME = Buffer.from('$4\r\nMSET\r\n');

/** `SET key value` and nothing else, with a value small enough to join an MSET. */
export function isPlainSet(argv: Buffer[]): boolean {
  return argv.length === 3 && isName(argv[0], SET) && argv[2].length <= STRING_BATCH_VALUE_MAX;
}

/**
 * A plain SET's key and value as the stream encoded them (`$<len>\r\n<key>\r\n$<len>\r\n<value>\r\n`): the command
 * after its `*3\r\n$3\r\nSET\r\n` head, which an MSET takes byte for byte. null: not so encoded (an inline command).
 */
export function setPairBytes(command: Buffer): Buffer | null {
  return command.length > SET_HEAD && command[0] === 42 && command[1] === 51 && command[2] === 13 && command[4] === 36
    && command[5] === 51 && command[6] === 13 && command[11] === 13 && command[12] === 10 && command[13] === 36
    ? command.subarray(SET_HEAD)
    : null;
}

export class StringBatch {
  /** Keys and values waiting; a part the stream encoded already (setPairBytes) is a key and value in one. */
  private parts: Buffer[] = [];
  private encoded: boolean[] = [];
  private pairs = 0;
  private bytes = 0;
  private db = -1;

  constructor(private readonly emit: (db: number, command: Buffer) => void) {}

  /** The db of the pairs waiting, -1 when none wait. */
  get pendingDb(): number {
    return this.pairs === 0 ? -1 : this.db;
  }

  /** A pair for db (a batch for another db is emitted first); the batch is emitted once it is full. */
  add(db: number, key: Buffer, value: Buffer): void {
    this.to(db);
    this.parts.push(key, value);
    this.encoded.push(false, false);
    this.added(key.length + value.length);
  }

  /** A pair as setPairBytes found it in the stream, copied into the MSET as it is. */
  addEncoded(db: number, pair: Buffer): void {
    this.to(db);
    this.parts.push(pair);
    this.encoded.push(true);
    this.added(pair.length);
  }

  private to(db: number): void {
    if (db !== this.db) this.flush();
    this.db = db;
  }

  private added(bytes: number): void {
    this.pairs++;
    this.bytes += bytes;
    if (this.pairs >= STRING_BATCH_KEYS || this.bytes >= STRING_BATCH_BYTES) this.flush();
  }

  /** One buffer for the whole MSET, sized first: the parts are copied once. */
  flush(): void {
    if (this.pairs === 0) return;
    let size = digitCount(2 * this.pairs + 1) + 3 + MSET_NAME.length;
    for (let i = 0; i < this.parts.length; i++) size += this.encoded[i] ? this.parts[i].length : bulkSize(this.parts[i].length);
    const out = Buffer.allocUnsafe(size);
    let pos = writeHeader(out, 0, 42, 2 * this.pairs + 1);
    out.set(MSET_NAME, pos);
    pos += MSET_NAME.length;
    for (let i = 0; i < this.parts.length; i++) {
      if (this.encoded[i]) {
        out.set(this.parts[i], pos);
        pos += this.parts[i].length;
      } else pos = writeBulk(out, pos, this.parts[i]);
    }
    this.emit(this.db, out);
    this.parts = [];
    this.encoded = [];
    this.pairs = 0;
    this.bytes = 0;
  }
}
