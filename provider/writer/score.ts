// A zset score as ZADD takes it: Number#toString is the shortest text that parses back to the same double,
// so no precision is lost; infinities use Redis's spelling.
import type { Score } from '../rdb/entry';

export function formatScore(score: Score): string {
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  if (Number.isNaN(score)) throw new Error('a zset score cannot be NaN');
  return Object.is(score, -0) ? '-0' : String(score);
}
