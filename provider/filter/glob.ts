// Redis's glob (util.c stringmatchlen, what KEYS and SCAN MATCH take), byte by byte, so a key filter selects exactly
// the keys `SCAN MATCH` would show for the same pattern, binary key names included.

const STAR = 0x2a, QUESTION = 0x3f, OPEN = 0x5b, CLOSE = 0x5d, CARET = 0x5e, DASH = 0x2d, BACKSLASH = 0x5c;

/** Whether `key` matches the glob `pattern` (both as bytes). */
export function globMatch(pattern: Buffer, key: Buffer): boolean {
  return matchFrom(pattern, 0, key, 0, 0);
}

function matchFrom(p: Buffer, pi: number, s: Buffer, si: number, nesting: number): boolean {
  // Redis caps the recursion the same way: a pattern with a thousand stars is not worth a stack overflow.
  if (nesting > 1000) return false;
  while (pi < p.length && si < s.length) {
    const c = p[pi];
    if (c === STAR) {
      while (pi + 1 < p.length && p[pi + 1] === STAR) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k < s.length; k++) if (matchFrom(p, pi + 1, s, k, nesting + 1)) return true;
      return false;
    }
    if (c === QUESTION) {
      pi++; si++;
      continue;
    }
    if (c === OPEN) {
      const r = matchClass(p, pi + 1, s[si]);
      if (!r.matched) return false;
      pi = r.next; si++;
      continue;
    }
    const lit = c === BACKSLASH && pi + 1 < p.length ? p[++pi] : c;
    if (lit !== s[si]) return false;
    pi++; si++;
  }
  while (pi < p.length && p[pi] === STAR) pi++;
  return pi === p.length && si === s.length;
}

/** A [...] class starting after its '[': whether byte b is in it, and where the pattern continues. */
function matchClass(p: Buffer, i: number, b: number): { matched: boolean; next: number } {
  const not = p[i] === CARET;
  if (not) i++;
  let match = false;
  while (i < p.length && p[i] !== CLOSE) {
    if (p[i] === BACKSLASH && i + 1 < p.length) {
      if (p[i + 1] === b) match = true;
      i += 2;
    } else if (i + 2 < p.length && p[i + 1] === DASH && p[i + 2] !== CLOSE) {
      const lo = Math.min(p[i], p[i + 2]);
      const hi = Math.max(p[i], p[i + 2]);
      if (b >= lo && b <= hi) match = true;
      i += 3;
    } else {
      if (p[i] === b) match = true;
      i++;
    }
  }
  // An unterminated class ends the pattern, as in Redis.
  return { matched: not ? !match : match, next: i < p.length ? i + 1 : i };
}
