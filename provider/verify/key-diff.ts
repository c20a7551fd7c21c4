// What differs between both sides' state of one key, in the report's vocabulary, and a short summary of each side's
// value for the report (a difference must be checkable by a person without re-reading both servers).
import { createHash } from 'node:crypto';
import type { KeyState } from './key-state';
import type { Problem } from './report';
import { valueDifference, ttlDifference } from './compare';
import { printableBytes } from '../writer/command-text';

export interface KeyDiff {
  problem: Problem;
  detail: string;
}

/** Every difference of a key present on the source; [] when both sides hold the same. */
export function keyDiffs(src: KeyState, dst: KeyState, ttlToleranceMs: number): KeyDiff[] {
  if (src.type === 'none') return dst.type === 'none' ? [] : [{ problem: 'extra on destination', detail: `${dst.type} key, not on source` }];
  if (dst.type === 'none') return [{ problem: 'missing on destination', detail: `${src.type} key` }];
  if (src.type !== dst.type) return [{ problem: 'type', detail: `${src.type} on source, ${dst.type} on destination` }];
  const out: KeyDiff[] = [];
  const ttl = ttlDifference(src, dst, ttlToleranceMs);
  if (ttl) out.push({ problem: 'ttl', detail: ttl });
  if (src.value && !dst.value) out.push({ problem: 'missing on destination', detail: `${src.type} key vanished while reading` });
  else if (src.value && dst.value) {
    const diff = valueDifference(src.value, dst.value);
    if (diff) out.push({ problem: 'value', detail: `${src.type}: ${diff}` });
  }
  return out;
}

const PREVIEW_BYTES = 40;

/** "string 5 bytes "hello" PTTL -1", "hash length 3 sha1:1a2b3c4d PTTL 5000", or "none". */
export function summarize(s: KeyState): string {
  if (s.type === 'none') return 'none';
  const ttl = `PTTL ${s.pttl}`;
  if (!s.value) return `${s.type} (vanished while reading) ${ttl}`;
  const parts = new Map(s.value.map(([p, b]) => [p, b]));
  const bytes = parts.get('bytes');
  if (s.type === 'string' && bytes) {
    const shown = printableBytes(bytes.subarray(0, PREVIEW_BYTES));
    return `string ${bytes.length} bytes ${JSON.stringify(shown)}${bytes.length > PREVIEW_BYTES ? '...' : ''} ${ttl}`;
  }
  const size = ['length', 'cardinality'].map((p) => parts.get(p)).find((b) => b);
  const h = createHash('sha1');
  for (const [p, b] of s.value) h.update(p).update(b ?? Buffer.alloc(0));
  return `${s.type}${size ? ` size ${size.toString()}` : ''} sha1:${h.digest('hex').slice(0, 8)} ${ttl}`;
}
