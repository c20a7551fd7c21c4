// Streams compared in the portable form (what Redis 5.0 has: XRANGE, XINFO GROUPS/CONSUMERS, XPENDING), used when a
// side lacks XINFO STREAM ... FULL: equal streams compare equal, a different PEL is named. Run here on two 7.0
// servers forced into that form (a real 5.0 server is not among the built releases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { EndpointReader } from '../../provider/verify/endpoint-reader';
import { readValues } from '../../provider/verify/key-state';
import { valueDifference } from '../../provider/verify/compare';
import type { ValueForm } from '../../provider/verify/value-form';

const PORTABLE: ValueForm = { fieldTtls: false, streamFull: false, streamMetadata: false };
const FULL_NO_METADATA: ValueForm = { fieldTtls: false, streamFull: true, streamMetadata: false };

test('streams compare in the portable form and in the full form without metadata', async () => {
  const a = await startRedis();
  const b = await startRedis();
  const readers: EndpointReader[] = [];
  try {
    const c = a.client();
    for (let i = 1; i <= 10; i++) await c.xadd('s', `${i}-0`, 'n', String(i));
    await c.xgroup('CREATE', 's', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 4, 'STREAMS', 's', '>');
    await c.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 2, 'STREAMS', 's', '>');
    await c.xack('s', 'g', '1-0');
    await b.client().restore('s', 0, (await c.dumpBuffer('s'))!);
    const ra = await EndpointReader.open({ mode: 'standalone', nodes: [a.addr] });
    readers.push(ra);
    const rb = await EndpointReader.open({ mode: 'standalone', nodes: [b.addr] });
    readers.push(rb);
    const key = [Buffer.from('s')];
    for (const form of [PORTABLE, FULL_NO_METADATA]) {
      const [[va], [vb]] = await Promise.all([readValues(ra, 0, key, ['stream'], form), readValues(rb, 0, key, ['stream'], form)]);
      assert.ok(va && vb);
      assert.equal(valueDifference(va, vb), null, `equal streams differ (${form.streamFull ? 'full' : 'portable'})`);
    }
    await b.client().xack('s', 'g', '2-0');
    const [[va], [vb]] = await Promise.all([readValues(ra, 0, key, ['stream'], PORTABLE), readValues(rb, 0, key, ['stream'], PORTABLE)]);
    assert.match(valueDifference(va!, vb!) ?? '', /group g pending differs/);
  } finally {
    for (const r of readers) await r.close();
    await a.stop();
    await b.stop();
  }
});
