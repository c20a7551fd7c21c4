// Keys that only the command's options reveal (Redis's "movablekeys" commands): SORT ... STORE, GEORADIUS ... STORE,
// XREADGROUP ... STREAMS, MIGRATE ... KEYS. Each parser follows the server's own getkeys function (db.c), so the
// daemon routes and checks slots with exactly the keys the destination will see. They return the keys' positions in
// argv (the key filter renames keys in place).

/** Whether arg is this option name (ASCII, case-insensitive), without allocating for the common mismatch. */
function isOption(arg: Buffer | undefined, lower: string): boolean {
  return arg !== undefined && arg.length === lower.length && arg.toString('latin1').toLowerCase() === lower;
}

/** SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]: the key, then the last STORE's target. */
export function sortKeys(argv: Buffer[]): number[] {
  if (argv.length < 2) return [];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    if (isOption(argv[i], 'limit')) i += 2;
    else if (isOption(argv[i], 'get') || isOption(argv[i], 'by')) i += 1;
    // Redis uses the last STORE when there are several.
    else if (isOption(argv[i], 'store') && i + 1 < argv.length) store = ++i;
  }
  return store >= 0 ? [1, store] : [1];
}

/** GEORADIUS / GEORADIUSBYMEMBER key ... [STORE k] [STOREDIST k]: the key, then the last store target. */
export function geoRadiusKeys(argv: Buffer[]): number[] {
  if (argv.length < 2) return [];
  let store = -1;
  for (let i = 5; i < argv.length; i++) {
    if ((isOption(argv[i], 'store') || isOption(argv[i], 'storedist')) && i + 1 < argv.length) store = ++i;
  }
  return store >= 0 ? [1, store] : [1];
}

/** XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k1 .. kn id1 .. idn: the n keys. */
export function xreadKeys(argv: Buffer[]): number[] {
  let streams = -1;
  for (let i = 1; i < argv.length; i++) {
    if (isOption(argv[i], 'block') || isOption(argv[i], 'count')) i += 1;
    else if (isOption(argv[i], 'group')) i += 2;
    else if (isOption(argv[i], 'noack')) continue;
    else if (isOption(argv[i], 'streams')) { streams = i; break; } else break;
  }
  const n = argv.length - streams - 1;
  if (streams < 0 || n === 0 || n % 2 !== 0) return [];
  return Array.from({ length: n / 2 }, (_, j) => streams + 1 + j);
}

/** MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k ...]. */
export function migrateKeys(argv: Buffer[]): number[] {
  if (argv.length < 6) return [];
  if (argv[3].length > 0) return [3];
  for (let i = 6; i < argv.length; i++) {
    if (isOption(argv[i], 'auth')) i += 1;
    else if (isOption(argv[i], 'auth2')) i += 2;
    else if (isOption(argv[i], 'keys')) return Array.from({ length: argv.length - i - 1 }, (_, j) => i + 1 + j);
  }
  return [];
}
