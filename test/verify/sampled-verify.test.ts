// A small sample of a large keyspace is drawn with RANDOMKEY (not by walking every key): about the number of keys
// asked for, spread over the keyspace, so a tenth of the keys changed shows up as about a tenth of the sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { verify } from '../../provider/verify/verify';

test('verify --sample 1000 of 100,000 keys: about 1,000 compared, and a tenth of the keys changed is found in about a tenth of them', async () => {
  const [a, b] = await Promise.all([startRedis(), startRedis()]);
  try {
    for (const s of [a, b]) await s.client().call('DEBUG', 'POPULATE', '100000', 'key', '16');
    const p = b.client().pipeline();
    for (let i = 0; i < 100_000; i += 10) p.set(`key:${i}`, 'changed');
    await p.exec();
    const ends = { source: { mode: 'standalone' as const, nodes: [a.addr] }, destination: { mode: 'standalone' as const, nodes: [b.addr] } };
    const r = await verify(ends.source, ends.destination, { sample: 1000 });
    const found = r.valueMismatches;
    console.log(`# sample of 1000: ${r.keysCompared} keys compared in ${r.durationMs} ms, ${found} differences`);
    assert.ok(r.keysCompared >= 900 && r.keysCompared <= 1100, `${r.keysCompared} keys compared`);
    // Binomial(1000, 0.1): 100 expected; 40..180 is far outside any honest draw's spread.
    assert.ok(found >= 40 && found <= 180, `${found} differences in the sample`);
    const all = await verify(ends.source, ends.destination, { maxMismatches: 1 });
    assert.equal(all.valueMismatches, 10_000);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
