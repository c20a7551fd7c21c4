// TTLs are compared as absolute expiries: an online recheck reads the destination after waiting for it to apply the
// source's offset (a second or more under load), and the remaining times read then differ by that wait although both
// keys expire at the same moment (seen as 1-4 false TTL differences per 1M-key verify at 20k writes/s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ttlDifference } from '../../provider/verify/compare';

test('the same expiry read 1.5 s apart is no difference; a real one is reported with how far apart both were read', () => {
  const t = 1_000_000;
  assert.equal(ttlDifference({ type: 'string', pttl: 60_000, readAt: t }, { type: 'string', pttl: 58_500, readAt: t + 1500 }, 1000), null);
  assert.equal(ttlDifference({ type: 'string', pttl: 60_000, readAt: t }, { type: 'string', pttl: 60_000, readAt: t + 1500 }, 1000),
    'PTTL 60000 on source, 60000 on destination, read 1500 ms apart: expires 1500 ms later (tolerance 1000 ms)');
  assert.match(ttlDifference({ type: 'string', pttl: 60_000, readAt: t }, { type: 'string', pttl: 50_000, readAt: t + 10 }, 1000) ?? '', /expires 9990 ms earlier/);
  assert.equal(ttlDifference({ type: 'string', pttl: -1 }, { type: 'string', pttl: -1 }, 1000), null);
  assert.equal(ttlDifference({ type: 'string', pttl: -1, readAt: t }, { type: 'string', pttl: 5000, readAt: t }, 1000), 'PTTL -1 on source, 5000 on destination');
});
