// Where the keys are in a write command of the replication stream: what a cluster destination routes by, and what
// tells whether a multi-key command stays in one slot. Commands not listed take their first argument as their key;
// every write command whose key is elsewhere (a subcommand first, keys behind options, a trailing timeout) must be
// listed, or its writes are routed to the wrong master and overtake the key's other commands there.
// test/filter/command-keys.test.ts checks this table against a real server's COMMAND GETKEYS.
import { sortKeys, geoRadiusKeys, xreadKeys, migrateKeys } from './option-keys';
import { NameTable } from '../resp/name-table';

type KeySpec =
  | { kind: 'none' }
  | { kind: 'first' }
  | { kind: 'range'; from: number; step: number; last?: number } // last: keys end this many arguments before the end
  | { kind: 'numkeys'; numkeysAt: number; before: number[] } // keys at `before` positions, then numkeys keys after it
  | { kind: 'positions'; at: number[] }
  | { kind: 'options'; parse: (argv: Buffer[]) => number[] };

const NONE: KeySpec = { kind: 'none' };
const ALL: KeySpec = { kind: 'range', from: 1, step: 1 };
const TWO: KeySpec = { kind: 'positions', at: [1, 2] };
/** Blocking pops: keys, then the timeout (replicated as their non-blocking form, listed for the routing anyway). */
const BEFORE_TIMEOUT: KeySpec = { kind: 'range', from: 1, step: 1, last: 1 };
/** XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key ...: argv[1] is the subcommand. */
const SECOND: KeySpec = { kind: 'positions', at: [2] };

const TABLE: Record<string, KeySpec> = {
  flushall: NONE, flushdb: NONE, swapdb: NONE, select: NONE, ping: NONE, multi: NONE, exec: NONE, discard: NONE,
  script: NONE, function: NONE, publish: NONE, replconf: NONE,
  del: ALL, unlink: ALL, touch: ALL, exists: ALL, mget: ALL, watch: ALL,
  sinterstore: ALL, sunionstore: ALL, sdiffstore: ALL, pfmerge: ALL, pfcount: ALL,
  rename: TWO, renamenx: TWO, smove: TWO, rpoplpush: TWO, brpoplpush: TWO, lmove: TWO, blmove: TWO, copy: TWO,
  zrangestore: TWO, geosearchstore: TWO,
  mset: { kind: 'range', from: 1, step: 2 }, msetnx: { kind: 'range', from: 1, step: 2 },
  bitop: { kind: 'range', from: 2, step: 1 },
  zunionstore: { kind: 'numkeys', numkeysAt: 2, before: [1] },
  zinterstore: { kind: 'numkeys', numkeysAt: 2, before: [1] },
  zdiffstore: { kind: 'numkeys', numkeysAt: 2, before: [1] },
  eval: { kind: 'numkeys', numkeysAt: 2, before: [] },
  evalsha: { kind: 'numkeys', numkeysAt: 2, before: [] },
  eval_ro: { kind: 'numkeys', numkeysAt: 2, before: [] },
  evalsha_ro: { kind: 'numkeys', numkeysAt: 2, before: [] },
  fcall: { kind: 'numkeys', numkeysAt: 2, before: [] },
  fcall_ro: { kind: 'numkeys', numkeysAt: 2, before: [] },
  lmpop: { kind: 'numkeys', numkeysAt: 1, before: [] },
  zmpop: { kind: 'numkeys', numkeysAt: 1, before: [] },
  blmpop: { kind: 'numkeys', numkeysAt: 2, before: [] },
  bzmpop: { kind: 'numkeys', numkeysAt: 2, before: [] },
  blpop: BEFORE_TIMEOUT, brpop: BEFORE_TIMEOUT, bzpopmin: BEFORE_TIMEOUT, bzpopmax: BEFORE_TIMEOUT,
  xgroup: SECOND, pfdebug: SECOND,
  sort: { kind: 'options', parse: sortKeys },
  georadius: { kind: 'options', parse: geoRadiusKeys },
  georadiusbymember: { kind: 'options', parse: geoRadiusKeys },
  xreadgroup: { kind: 'options', parse: xreadKeys },
  migrate: { kind: 'options', parse: migrateKeys },
};

/** TABLE's names, matched without making a string: every write into a cluster destination is looked up. */
const LISTED = new NameTable(Object.keys(TABLE));
const FIRST: KeySpec = { kind: 'first' };

export function commandName(argv: Buffer[]): string {
  return argv[0].toString('latin1').toLowerCase();
}

/** The keys of a command, in argument order (empty for a keyless command). */
export function commandKeys(argv: Buffer[]): Buffer[] {
  return keyPositions(argv).map((i) => argv[i]);
}

/** Where the keys of a command are in its argv, in argument order. */
export function keyPositions(argv: Buffer[]): number[] {
  const listed = LISTED.lookup(argv[0]);
  const spec = listed === null ? FIRST : TABLE[listed];
  switch (spec.kind) {
    case 'none':
      return [];
    case 'first':
      return argv.length > 1 ? [1] : [];
    case 'positions':
      return spec.at.filter((i) => i < argv.length);
    case 'range': {
      const at: number[] = [];
      const end = argv.length - (spec.last ?? 0);
      for (let i = spec.from; i < end; i += spec.step) at.push(i);
      return at;
    }
    case 'options':
      return spec.parse(argv);
    case 'numkeys': {
      const n = Number(argv[spec.numkeysAt]?.toString('latin1'));
      const at = spec.before.filter((i) => i < argv.length);
      if (!Number.isInteger(n) || n < 0) return at;
      for (let i = 0; i < n && spec.numkeysAt + 1 + i < argv.length; i++) at.push(spec.numkeysAt + 1 + i);
      return at;
    }
  }
}
