// Comparing what both sides hold for one key: first the type, then TTL within a tolerance, then the value by part.
import type { KeyHead } from './key-state';
import type { Canonical } from './canonical';

/** The first part that differs, as "<part>" text, or null when the values are equal. */
export function valueDifference(source: Canonical, destination: Canonical): string | null {
  const dest = new Map(destination.map(([p, b]) => [p, b]));
  for (const [part, bytes] of source) {
    const other = dest.get(part);
    if (other === undefined) return `${part} missing on destination`;
    if (bytes !== null && other !== null && !other.equals(bytes)) return `${part} differs`;
  }
  const srcParts = new Set(source.map(([p]) => p));
  for (const [part] of destination) if (!srcParts.has(part)) return `${part} extra on destination`;
  return null;
}

/**
 * A TTL problem text, or null when both have none or both expire within toleranceMs of each other: the expiries are
 * compared as absolute times (PTTL plus when it was read), not the remaining times read at different moments.
 */
export function ttlDifference(source: KeyHead, destination: KeyHead, toleranceMs: number): string | null {
  const s = source.pttl;
  const d = destination.pttl;
  if (s < 0 && d < 0) return null;
  if (s < 0 || d < 0) return `PTTL ${s} on source, ${d} on destination`;
  const apart = (destination.readAt ?? 0) - (source.readAt ?? 0);
  const gap = Math.round(d + apart - s);
  if (Math.abs(gap) <= toleranceMs) return null;
  const when = Math.abs(apart) >= 1 ? `, read ${Math.round(apart)} ms apart` : '';
  return `PTTL ${s} on source, ${d} on destination${when}: expires ${Math.abs(gap)} ms ${gap > 0 ? 'later' : 'earlier'} (tolerance ${toleranceMs} ms)`;
}
