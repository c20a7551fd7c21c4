// XADD and XTRIM with the trimming options of 6.2 (NOMKSTREAM, MINID, LIMIT, the "=" specifier) for a destination
// before 6.2, which knows only MAXLEN [~] n. A 6.2+ source propagates exact thresholds (it rewrites "~" to "=" and the
// threshold to what it actually trimmed), so MAXLEN n reproduces it; MINID becomes a script deleting the entries
// below the id, and NOMKSTREAM is dropped (the source propagates such an XADD only when the stream existed).
import type { Arg } from '../../resp/encode';
import { NameTable } from '../../resp/name-table';
import type { Rewrite } from './rewrite';

/** XTRIM key MINID id on servers before 6.2: XDEL of every entry below the id, in batches. */
export const MINID_SCRIPT = 'local n = 0 while true do '
  + "local r = redis.call('XRANGE', KEYS[1], '-', ARGV[1], 'COUNT', 1000) local del = {} "
  + 'for _, e in ipairs(r) do if e[1] ~= ARGV[1] then del[#del + 1] = e[1] end end '
  + "if #del == 0 then return n end n = n + redis.call('XDEL', KEYS[1], unpack(del)) end";

type TrimOption = 'nomkstream' | 'maxlen' | 'minid' | 'limit' | '=' | '~';
const OPTIONS = new NameTable<TrimOption>(['nomkstream', 'maxlen', 'minid', 'limit', '=', '~']);

interface Trim { strategy: 'maxlen' | 'minid'; threshold: Buffer }

/** Options from argv[from]: the trim, whether anything only 6.2 knows is there, and where the rest begins. */
function parseTrim(argv: Buffer[], from: number, xadd: boolean): { trim: Trim | null; newer: boolean; rest: number } | null {
  let trim: Trim | null = null;
  let newer = false;
  let i = from;
  while (i < argv.length) {
    const opt = OPTIONS.lookup(argv[i]);
    if (xadd && opt === 'nomkstream') {
      newer = true;
      i++;
    } else if (opt === 'maxlen' || opt === 'minid') {
      i++;
      const sign = OPTIONS.lookup(argv[i] ?? Buffer.alloc(0));
      if (sign === '=' || sign === '~') {
        newer ||= sign === '=';
        i++;
      }
      if (i >= argv.length) return null;
      trim = { strategy: opt, threshold: argv[i++] };
      newer ||= opt === 'minid';
      if (OPTIONS.lookup(argv[i] ?? Buffer.alloc(0)) === 'limit') {
        newer = true;
        i += 2;
      }
    } else break;
  }
  return { trim, newer, rest: i };
}

const minId = (id: Buffer): string => (id.includes(0x2d) ? id.toString('latin1') : `${id.toString('latin1')}-0`);

/** XADD for a destination before 6.2; null: it takes the command as it is. */
export function xaddRewrite(argv: Buffer[]): Rewrite | null {
  const p = parseTrim(argv, 2, true);
  if (!p || !p.newer) return null;
  const key = argv[1];
  const rest = argv.slice(p.rest);
  if (p.trim?.strategy === 'minid') {
    return { kind: 'commands', commands: [['XADD', key, ...rest], ['EVAL', MINID_SCRIPT, 1, key, minId(p.trim.threshold)]] };
  }
  const head: Arg[] = p.trim ? ['XADD', key, 'MAXLEN', p.trim.threshold] : ['XADD', key];
  return { kind: 'commands', commands: [[...head, ...rest]] };
}

/** XTRIM for a destination before 6.2; null: it takes the command as it is. */
export function xtrimRewrite(argv: Buffer[]): Rewrite | null {
  const p = parseTrim(argv, 2, false);
  if (!p || !p.newer || !p.trim) return null;
  const key = argv[1];
  return p.trim.strategy === 'minid'
    ? { kind: 'commands', commands: [['EVAL', MINID_SCRIPT, 1, key, minId(p.trim.threshold)]] }
    : { kind: 'commands', commands: [['XTRIM', key, 'MAXLEN', p.trim.threshold]] };
}
