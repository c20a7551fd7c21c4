// verify --repair into an older release: a DUMP of Redis 7.0 (RDB 10) is refused by 6.0's RESTORE ("DUMP payload
// version or checksum are wrong"), so repair writes it in the destination's dialect, as the task does. Every kind of
// tampered key is repaired and a second verify says consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../provider/verify/verify';
import { compatServers, DEBIAN, startVersion } from './servers';

test('verify --repair from Redis 7.0 into 6.0: values restored as commands the older release takes, then consistent', { timeout: 5 * 60_000 }, async (t) => {
  const found = compatServers();
  if ('skip' in found) {
    console.log(`skipped: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  const src = await startVersion(DEBIAN);
  const dst = await startVersion(found.servers.get('6.0')!);
  try {
    const s = src.client();
    await s.set('str', 'value');
    await s.set('ttl', 'soon', 'EX', 600);
    await s.rpush('list', 'a', 'b', 'c');
    await s.hset('hash', 'f1', 'v1', 'f2', 'v2');
    await s.sadd('set', 'x', 'y');
    await s.zadd('zset', 1, 'one', 2, 'two');
    await s.xadd('stream', '1-1', 'f', 'v');
    // The destination: some keys missing, some wrong, one extra.
    const d = dst.client();
    await d.set('str', 'other');
    await d.set('list', 'wrong type');
    await d.set('extra', 'x');
    await d.hset('hash', 'f1', 'v1');
    const opts = { ttlToleranceMs: 2000, repair: true };
    const first = await verify({ mode: 'standalone', nodes: [src.addr] }, { mode: 'standalone', nodes: [dst.addr] }, opts);
    assert.equal(first.consistent, false);
    assert.ok(first.repair, JSON.stringify(first));
    assert.deepEqual(first.repair!.firstFailures, []);
    assert.equal(first.repair!.repaired, 8, JSON.stringify(first.repair));
    const again = await verify({ mode: 'standalone', nodes: [src.addr] }, { mode: 'standalone', nodes: [dst.addr] }, { ttlToleranceMs: 2000 });
    assert.equal(again.consistent, true, JSON.stringify(again.firstMismatches));
    assert.ok((await d.pttl('ttl')) > 590_000);
    assert.deepEqual(await d.xrange('stream', '-', '+'), [['1-1', ['f', 'v']]]);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
