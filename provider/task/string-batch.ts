// During a full sync most keys of most datasets are small strings without a TTL. One MSET for many of them costs the
// destination far less than one RESTORE each (no payload checksum, one command dispatch), and the value bytes go
// out as they are. Anything else (a TTL, another type, a big value) flushes the batch first, so order is kept.
// The incremental batches (tx-batch.ts) do the same with runs of plain `SET key value` of the stream.
import { encodeCommand } from '../resp/encode';
import { isName } from '../resp/command-name';

export const STRING_BATCH_KEYS = 128;
export const STRING_BATCH_BYTES = 64 * 1024;
/** Above this a value goes alone (RESTORE or a rewrite), so a batch never holds a big one. */
export const STRING_BATCH_VALUE_MAX = 16 * 1024;

const MSET = Buffer.from('MSET');
const SET = Buffer.from('set');

/** `SET key value` and nothing else, with a value small enough to join an MSET. */
export function isPlainSet(argv: Buffer[]): boolean {
  return argv.length === 3 && isName(argv[0], SET) && argv[2].length <= STRING_BATCH_VALUE_MAX;
}

export class StringBatch {
  /** The command being built: MSET, then key and value pairs. */
  private args: Buffer[] = [MSET];
  private bytes = 0;
  private db = -1;

  constructor(private readonly emit: (db: number, command: Buffer) => void) {}

  /** The db of the pairs waiting, -1 when none wait. */
  get pendingDb(): number {
    return this.args.length === 1 ? -1 : this.db;
  }

  /** A pair for db (a batch for another db is emitted first); the batch is emitted once it is full. */
  add(db: number, key: Buffer, value: Buffer): void {
    if (db !== this.db) this.flush();
    this.db = db;
    this.args.push(key, value);
    this.bytes += key.length + value.length;
    if (this.args.length > STRING_BATCH_KEYS * 2 || this.bytes >= STRING_BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.args.length === 1) return;
    this.emit(this.db, encodeCommand(this.args));
    this.args = [MSET];
    this.bytes = 0;
  }
}
