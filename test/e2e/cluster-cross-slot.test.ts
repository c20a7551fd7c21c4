// Issue 13, "any multi-key command into a cluster": a standalone source's store commands, list moves, MSETNX and
// COPY whose keys lie in different slots of a 3-master destination are run there on copies of their keys gathered in
// one slot, at the command's point of the stream. A load of every such command, interleaved with single-key writes to
// the same keys, ends with the destination equal to the source (type, value, TTL), and a list rotated by LMOVE and
// RPOPLPUSH keeps exactly its elements (none lost, none doubled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { startRedis, startCluster } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { sideSpec, caughtUpAll, assertSidesConsistent } from '../harness/topology';

const ROUNDS = 150;

test('cross-slot SUNIONSTORE/SINTERSTORE/SDIFFSTORE, Z*STORE, ZRANGESTORE, LMOVE, RPOPLPUSH, BITOP, PFMERGE, MSETNX, COPY, GEOSEARCHSTORE, GEORADIUS STORE, SORT STORE into a cluster: consistent, list elements exact', { timeout: 240_000 }, async () => {
  const src = await startRedis();
  const dst = await startCluster({ masters: 3 });
  const c = src.client();
  try {
    // Keys spread over the slots (no hash tags): most commands below span two or three masters.
    const keys = ['sa', 'sb', 'sc', 'za', 'zb', 'zc', 'la', 'lb', 'ba', 'bb', 'ha', 'hb', 'ga', 'gb', 'm1', 'm2', 'cp'];
    assert.ok(new Set(keys.map((k) => calculateSlot(k))).size > 10);
    await c.rpush('la', ...Array.from({ length: 50 }, (_, i) => `e${i}`));
    const spec = sideSpec('cross-slot', src, dst, { databases: [0] });
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 60_000);
      for (let r = 0; r < ROUNDS; r++) {
        const p = c.pipeline();
        p.sadd('sa', `m${r}`, `x${r % 7}`).sadd('sb', `x${r % 5}`, `n${r}`);
        p.sunionstore('sc', 'sa', 'sb').sinterstore('sd', 'sa', 'sb').sdiffstore('se', 'sa', 'sb');
        p.zadd('za', r, `m${r}`).zadd('zb', r * 2, `m${r % 9}`);
        p.zunionstore('zc', 2, 'za', 'zb', 'WEIGHTS', 1, 3).zinterstore('zd', 2, 'za', 'zb', 'AGGREGATE', 'MAX');
        p.call('ZDIFFSTORE', 'ze', 2, 'za', 'zb').call('ZRANGESTORE', 'zf', 'za', 0, 9);
        p.lmove('la', 'lb', 'LEFT', 'RIGHT').rpoplpush('lb', 'la');
        if (r % 3 === 0) p.lmove('lb', 'la', 'RIGHT', 'LEFT');
        p.setbit('ba', r, 1).setbit('bb', r * 2, 1).bitop('OR', 'bc', 'ba', 'bb').bitop('XOR', 'bd', 'ba', 'bb', 'bc');
        p.pfadd('ha', `u${r}`).pfadd('hb', `v${r}`).pfmerge('hc', 'ha', 'hb');
        p.msetnx(`m1:${r % 10}`, r, `m2:${r % 13}`, r);
        p.set('cp', `v${r}`, 'EX', 3600).copy('cp', `cp:${r % 4}`, 'REPLACE');
        p.geoadd('ga', 13.36 + r / 1000, 38.11, `p${r}`);
        p.call('GEOSEARCHSTORE', 'gs', 'ga', 'FROMLONLAT', 13.4, 38.1, 'BYRADIUS', 200, 'km', 'ASC');
        p.call('GEORADIUS', 'ga', 13.4, 38.1, 200, 'km', 'STORE', 'gr');
        p.rpush('sl', r % 17).call('SORT', 'sl', 'STORE', 'sorted');
        const failed = (await p.exec())?.find(([err]) => err);
        assert.equal(failed, undefined, String(failed?.[0]));
      }
      await caughtUpAll(d, src);
      assert.equal(d.status()?.state, 'Synchronizing', `task state: ${JSON.stringify(d.status()?.lastError)}`);
      await assertSidesConsistent(spec, 30);
      const cl = dst.client();
      const [la, lb] = await Promise.all([cl.lrange('la', 0, -1), cl.lrange('lb', 0, -1)]);
      assert.deepEqual([...la, ...lb].sort(), Array.from({ length: 50 }, (_, i) => `e${i}`).sort(), 'the rotated list lost or doubled elements');
      assert.deepEqual(la, await c.lrange('la', 0, -1));
      const left = (await Promise.all(dst.masters.map((m) => m.client().keys('redis-sync:colocate:*')))).flat();
      assert.deepEqual(left, [], 'temporary keys left on the destination');
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
