// A stream command seen through keyFilter and keyRenames: kept (its keys renamed), dropped, split where the split is
// exact, or refused. A refusal fails the task with the command and its offset rather than diverge silently.
import type { KeyFilter } from './key-filter';
import { commandName, keyPositions } from './command-keys';

export type KeyFilterOutcome =
  | { kind: 'same' }
  | { kind: 'skip' }
  | { kind: 'rewrite'; argv: Buffer[] }
  | { kind: 'refuse'; message: string };

/** Commands that write their first key from the others, which they only read: out of the filter, nothing changes. */
const STORE = new Set(['sinterstore', 'sunionstore', 'sdiffstore', 'pfmerge', 'bitop', 'zunionstore', 'zinterstore',
  'zdiffstore', 'zrangestore', 'geosearchstore']);
/** Commands with a STORE/STOREDIST option naming the key they write. */
const STORE_OPTION = new Set(['sort', 'georadius', 'georadiusbymember']);
const SCRIPTS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

const SAME: KeyFilterOutcome = { kind: 'same' };
const SKIP: KeyFilterOutcome = { kind: 'skip' };

function printable(argv: Buffer[]): string {
  const text = argv.slice(0, 6).map((a) => a.toString('utf8')).join(' ');
  return argv.length > 6 ? `${text} ...` : text;
}

/**
 * argv in source db `db`; `otherDb`: the db of the second key of MOVE key db and COPY ... DB n (null otherwise).
 * The heartbeat and database filters ran before this.
 */
export function filterCommandKeys(keys: KeyFilter, db: number, argv: Buffer[], otherDb: number | null): KeyFilterOutcome {
  const name = commandName(argv);
  const refuse = (why: string): KeyFilterOutcome => ({ kind: 'refuse', message: `${name.toUpperCase()} ${why} (${printable(argv)}): it cannot be applied exactly through keyFilter/keyRenames; change the filter so these keys are on one side of it, or write them differently on the source` });
  if (name === 'move') return moveKey(keys, db, argv, otherDb ?? db, refuse);
  let at = keyPositions(argv);
  if (STORE_OPTION.has(name)) {
    const opt = argv.findIndex((a, i) => i > 1 && /^store(dist)?$/i.test(a.toString('latin1')));
    if (opt < 0 || opt + 1 >= argv.length) return renameAt(keys, db, argv, at);
    at = [opt + 1, 1]; // the written key first, as for the STORE commands
  }
  if (at.length === 0) return SAME;
  const dbOf = (i: number): number => (i === 2 && otherDb !== null ? otherDb : db);
  const wanted = at.map((i) => keys.wants(dbOf(i), argv[i]));
  const all = wanted.every(Boolean);
  if (!all && !wanted.some(Boolean)) return SKIP;
  if (SCRIPTS.has(name)) {
    if (!all) return refuse('reads or writes keys on both sides of the key filter');
    if (at.some((i) => keys.rename(db, argv[i]) !== argv[i])) return refuse('has keys that keyRenames renames, and a script may name keys in its body');
    return SAME;
  }
  if (all) return renameAt(keys, db, argv, at, dbOf);
  if (STORE.has(name) || STORE_OPTION.has(name)) {
    if (!wanted[0]) return SKIP; // only the written key changes, and it is not synchronized
    return refuse('writes a synchronized key from keys that are not synchronized');
  }
  switch (name) {
    case 'del':
    case 'unlink':
      return renameAt(keys, db, [argv[0], ...at.filter((_, j) => wanted[j]).map((i) => argv[i])], null);
    case 'mset':
    case 'msetnx': {
      // MSETNX is replicated only when it set every key, so its synchronized half is a plain MSET.
      const out: Buffer[] = [Buffer.from('MSET')];
      at.forEach((i, j) => { if (wanted[j]) out.push(keys.rename(db, argv[i]), argv[i + 1]); });
      return { kind: 'rewrite', argv: out };
    }
  }
  // Two-key commands from here on: the first key gives, the second receives.
  if (!wanted[0]) return refuse('moves a value from a key that is not synchronized into one that is');
  const from = keys.rename(db, argv[1]);
  switch (name) {
    case 'rename':
    case 'renamenx':
      return { kind: 'rewrite', argv: [Buffer.from('DEL'), from] };
    case 'copy':
      return SKIP; // the source key is unchanged
    case 'smove':
      return { kind: 'rewrite', argv: [Buffer.from('SREM'), from, argv[3]] };
    case 'rpoplpush':
    case 'brpoplpush':
      return { kind: 'rewrite', argv: [Buffer.from('RPOP'), from] };
    case 'lmove':
    case 'blmove':
      return { kind: 'rewrite', argv: [Buffer.from(/^left$/i.test(argv[3]?.toString('latin1') ?? '') ? 'LPOP' : 'RPOP'), from] };
  }
  return refuse('has keys on both sides of the key filter');
}

/** The same command with its keys renamed; `same` when no key changes, so the stream's bytes go as they came. */
function renameAt(keys: KeyFilter, db: number, argv: Buffer[], at: number[] | null, dbOf: (i: number) => number = () => db): KeyFilterOutcome {
  const positions = at ?? argv.map((_, i) => i).slice(1);
  let out: Buffer[] | null = at === null ? argv : null;
  for (const i of positions) {
    const renamed = keys.rename(dbOf(i), argv[i]);
    if (renamed === argv[i]) continue;
    out ??= argv.slice();
    out[i] = renamed;
  }
  return out === null ? SAME : { kind: 'rewrite', argv: out };
}

/** MOVE key db: the key leaves one database for another, each with its own rules. */
function moveKey(keys: KeyFilter, db: number, argv: Buffer[], target: number, refuse: (why: string) => KeyFilterOutcome): KeyFilterOutcome {
  const key = argv[1];
  const inSource = keys.wants(db, key);
  const inTarget = keys.wants(target, key);
  if (!inSource && !inTarget) return SKIP;
  if (!inSource) return refuse(`moves a key that is not synchronized in db ${db} into db ${target}, where it is`);
  const from = keys.rename(db, key);
  // Out of the filter in its new database: on the destination the key simply disappears.
  if (!inTarget) return { kind: 'rewrite', argv: [Buffer.from('DEL'), from] };
  if (!keys.rename(target, key).equals(from)) return refuse(`moves a key between databases whose keyRenames give it different names`);
  return from === key ? SAME : { kind: 'rewrite', argv: [argv[0], from, ...argv.slice(2)] };
}
