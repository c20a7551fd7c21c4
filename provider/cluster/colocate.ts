// A multi-key command across slots into a cluster destination (SUNIONSTORE, ZINTERSTORE, LMOVE, BITOP, PFMERGE,
// MSETNX, COPY, SORT ... STORE, ...). The destination holds the source's state at the command's offset (everything
// before it is applied first), so the command can be run there on copies of its keys gathered into one slot:
//   1. each key is copied (DUMP/RESTORE with its TTL) to a temporary key of the task's own slot, or that temporary
//      key deleted when the key does not exist;
//   2. the command runs on the temporary keys;
//   3. each key it may have written is copied back from its temporary key (RESTORE ... REPLACE with the TTL, or DEL),
//      and the temporary keys are deleted.
// The temporary keys carry redis-sync's prefix: never carried downstream, never verified. A restart between 2 and 3
// replays the command from the checkpoint onto the untouched originals.
import { encodeCommand } from '../resp/encode';
import { commandName, keyPositions } from '../filter/command-keys';
import { INTERNAL_KEY_PREFIX } from '../state/task-keys';

/** The commands run this way, with the argv positions of the keys they write (null: every key). */
const WRITTEN: Record<string, number[] | null> = {
  sunionstore: [1], sinterstore: [1], sdiffstore: [1],
  zunionstore: [1], zinterstore: [1], zdiffstore: [1],
  zrangestore: [1], geosearchstore: [1], pfmerge: [1],
  bitop: [2], copy: [2],
  lmove: null, blmove: null, rpoplpush: null, brpoplpush: null,
  msetnx: null, sort: null, georadius: null, georadiusbymember: null,
};

export function colocatable(argv: Buffer[]): boolean {
  return commandName(argv) in WRITTEN;
}

export interface ColocatePlan {
  /** Per distinct key of the command: the key and its temporary twin. */
  copies: Array<{ key: Buffer; temp: Buffer }>;
  /** The command with every key replaced by its temporary twin. */
  command: Buffer;
  /** The keys the command may have written, each with its temporary twin: copied back afterwards. */
  written: Array<{ key: Buffer; temp: Buffer }>;
  /** Set with the command (same slot): its results are in the temporary keys (a restart copies them back). */
  marker: Buffer;
}

/** The temporary keys share one hash tag (the task's id), so one slot holds them all. */
export function colocatePlan(argv: Buffer[], taskId: string, offset: number): ColocatePlan {
  const positions = keyPositions(argv);
  const copies: ColocatePlan['copies'] = [];
  const tempOf = (key: Buffer): Buffer => {
    const found = copies.find((c) => c.key.equals(key));
    if (found) return found.temp;
    const temp = Buffer.from(`${INTERNAL_KEY_PREFIX}colocate:{${taskId}}:${offset}:${copies.length}`);
    copies.push({ key, temp });
    return temp;
  };
  const replaced = argv.slice();
  for (const i of positions) replaced[i] = tempOf(argv[i]);
  const writtenAt = WRITTEN[commandName(argv)] ?? positions;
  const written = [...new Set(writtenAt.map((i) => argv[i].toString('latin1')))]
    .map((k) => copies.find((c) => c.key.toString('latin1') === k)!);
  return { copies, command: encodeCommand(replaced), written, marker: Buffer.from(`${INTERNAL_KEY_PREFIX}colocate:{${taskId}}:${offset}:done`) };
}
