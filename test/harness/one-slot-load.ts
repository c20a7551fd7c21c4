// A deterministic sequence of write commands on a few keys of one slot, where the order matters (the result
// depends on it) and every command changes the data and is replicated verbatim by Redis 7.0 (no SET ... EX,
// no '*' ids, no no-op SADD): so the destination's MONITOR must show exactly this sequence, in this order.
import { prng } from './dataset';

interface StreamState { seq: number; ids: number[]; groups: Set<string>; consumers: Set<string> }

const TYPES = ['string', 'list', 'hash', 'zset', 'stream'] as const;

/** `count` commands over `keys` keys named `{tag}:<i>` (so all in one slot); key i has type TYPES[i % 5]. */
export function oneSlotCommands(count: number, keys: number, tag: string, seed = 1): string[][] {
  const rnd = prng(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const ints = new Map<number, boolean>();
  const lists = new Map<number, number>();
  const hashes = new Map<number, Set<string>>();
  const zsets = new Map<number, Set<string>>();
  const streams = new Map<number, StreamState>();
  const out: string[][] = [];
  // Every iteration writes exactly one command.
  for (let n = 0; n < count; n++) {
    const i = pick(keys);
    const k = `{${tag}}:${i}`;
    switch (TYPES[i % TYPES.length]) {
      case 'string': {
        const op = pick(4);
        if (op === 0 || !ints.has(i)) { out.push(['SET', k, String(n)]); ints.set(i, true); }
        else if (op === 1 && ints.get(i)) out.push(['INCRBY', k, '3']);
        else if (op === 2) { out.push(['APPEND', k, `a${n}`]); ints.set(i, false); }
        else { out.push(['DEL', k]); ints.delete(i); }
        break;
      }
      case 'list': {
        const len = lists.get(i) ?? 0;
        const op = pick(4);
        if (op === 0 || len === 0) { out.push(['RPUSH', k, `r${n}`]); lists.set(i, len + 1); }
        else if (op === 1) { out.push(['LPUSH', k, `l${n}`]); lists.set(i, len + 1); }
        else if (op === 2) { out.push(['LPOP', k]); lists.set(i, len - 1); }
        else out.push(['LSET', k, String(pick(len)), `s${n}`]);
        break;
      }
      case 'hash': {
        const fields = hashes.get(i) ?? new Set<string>();
        hashes.set(i, fields);
        const f = `f${pick(8)}`;
        const op = pick(3);
        if (op === 0 && fields.has(f)) { out.push(['HDEL', k, f]); fields.delete(f); }
        else if (op === 1) { out.push(['HINCRBY', k, 'count', '1']); fields.add('count'); }
        else { out.push(['HSET', k, f, `v${n}`]); fields.add(f); }
        break;
      }
      case 'zset': {
        const members = zsets.get(i) ?? new Set<string>();
        zsets.set(i, members);
        const m = `m${pick(8)}`;
        const op = pick(3);
        if (op === 0 && members.has(m)) { out.push(['ZREM', k, m]); members.delete(m); }
        else if (op === 1 && members.has(m)) out.push(['ZINCRBY', k, '1', m]);
        else { out.push(['ZADD', k, String(n), m]); members.add(m); }
        break;
      }
      case 'stream': {
        const s = streams.get(i) ?? { seq: 0, ids: [], groups: new Set<string>(), consumers: new Set<string>() };
        streams.set(i, s);
        const g = `g${pick(3)}`;
        const op = pick(6);
        if (op === 0 || s.ids.length === 0) { s.seq++; s.ids.push(s.seq); out.push(['XADD', k, `${s.seq}-0`, 'f', `v${n}`]); }
        else if (op === 1 && !s.groups.has(g)) { out.push(['XGROUP', 'CREATE', k, g, '0']); s.groups.add(g); }
        else if (op === 2 && s.groups.has(g)) out.push(['XGROUP', 'SETID', k, g, `${s.ids[pick(s.ids.length)]}-0`]);
        else if (op === 3 && s.groups.has(g) && !s.consumers.has(`${g}/c${n % 3}`)) { out.push(['XGROUP', 'CREATECONSUMER', k, g, `c${n % 3}`]); s.consumers.add(`${g}/c${n % 3}`); }
        else if (op === 4 && s.groups.has(g)) {
          out.push(['XGROUP', 'DESTROY', k, g]);
          s.groups.delete(g);
          for (const c of [...s.consumers]) if (c.startsWith(`${g}/`)) s.consumers.delete(c);
        } else if (op === 5 && s.ids.length > 1) out.push(['XDEL', k, `${s.ids.splice(pick(s.ids.length), 1)[0]}-0`]);
        else { s.seq++; s.ids.push(s.seq); out.push(['XADD', k, `${s.seq}-0`, 'f', `v${n}`]); }
        break;
      }
    }
  }
  return out;
}

/** The key a command of oneSlotCommands() writes (XGROUP's is after its subcommand). */
export function keyOf(argv: string[]): string {
  return argv[0].toUpperCase() === 'XGROUP' ? argv[2] : argv[1];
}
