// Where the keys are in a write command of the replication stream: what a cluster destination routes by, and what
// tells whether a multi-key command stays in one slot. Commands not listed take their first argument as their key.

type KeySpec =
  | { kind: 'none' }
  | { kind: 'first' }
  | { kind: 'range'; from: number; step: number; count?: number } // count undefined: to the end
  | { kind: 'numkeys'; numkeysAt: number; before: number[] } // keys at `before` positions, then numkeys keys after it
  | { kind: 'positions'; at: number[] };

const NONE: KeySpec = { kind: 'none' };
const ALL: KeySpec = { kind: 'range', from: 1, step: 1 };
const TWO: KeySpec = { kind: 'positions', at: [1, 2] };

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
};

export function commandName(argv: Buffer[]): string {
  return argv[0].toString('latin1').toLowerCase();
}

/** The keys of a command, in argument order (empty for a keyless command). */
export function commandKeys(argv: Buffer[]): Buffer[] {
  return keyPositions(argv).map((i) => argv[i]);
}

/** Where the keys of a command are in its argv, in argument order. */
export function keyPositions(argv: Buffer[]): number[] {
  const spec = TABLE[commandName(argv)] ?? { kind: 'first' };
  switch (spec.kind) {
    case 'none':
      return [];
    case 'first':
      return argv.length > 1 ? [1] : [];
    case 'positions':
      return spec.at.filter((i) => i < argv.length);
    case 'range': {
      const at: number[] = [];
      for (let i = spec.from; i < argv.length; i += spec.step) at.push(i);
      return at;
    }
    case 'numkeys': {
      const n = Number(argv[spec.numkeysAt]?.toString('latin1'));
      const at = spec.before.filter((i) => i < argv.length);
      if (!Number.isInteger(n) || n < 0) return at;
      for (let i = 0; i < n && spec.numkeysAt + 1 + i < argv.length; i++) at.push(spec.numkeysAt + 1 + i);
      return at;
    }
  }
}
