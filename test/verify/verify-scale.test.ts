import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { verify } from '../../provider/verify/verify';

const KEYS = Number(process.env.VERIFY_SCALE_KEYS ?? 200_000);

test(`verify of ${KEYS} keys reports its duration and rate`, async () => {
  const a = await startRedis();
  try {
    const b = await startRedis();
    try {
      // Mostly strings (DEBUG POPULATE), plus a share of other types so value reads are not all GETs.
      const extra = Math.floor(KEYS / 10);
      for (const s of [a, b]) {
        await s.client().call('DEBUG', 'POPULATE', String(KEYS - extra), 'key', '32');
        for (let i = 0; i < extra; i += 1000) {
          const p = s.client().pipeline();
          for (let j = i; j < Math.min(extra, i + 1000); j++) {
            if (j % 3 === 0) p.hset(`h:${j}`, 'a', j, 'b', 'x');
            else if (j % 3 === 1) p.rpush(`l:${j}`, 'a', 'b', j);
            else p.zadd(`z:${j}`, j / 3, 'm', 1, 'n');
          }
          await p.exec();
        }
      }
      await b.client().set('key:12345', 'different');
      const r = await verify({ mode: 'standalone', nodes: [a.addr] }, { mode: 'standalone', nodes: [b.addr] });
      const rate = r.keysCompared / (r.durationMs / 1000);
      console.log(`verify: ${r.keysCompared} keys in ${r.durationMs} ms = ${Math.round(rate)} keys/s; 1M keys ≈ ${(1_000_000 / rate).toFixed(1)} s`);
      assert.equal(r.keysCompared, KEYS);
      assert.equal(r.valueMismatches, 1);
      assert.equal(r.firstMismatches[0]?.key, 'key:12345');
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});
