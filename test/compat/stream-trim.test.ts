// XADD/XTRIM with 6.2's trimming options, as a 7.0 source propagates them, applied to a 6.0 server in the dialect's
// form: the stream ends the same as on the 7.0 server that ran them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateCommand } from '../../provider/writer/dialect/translate';
import { dialectFor } from '../../provider/writer/dialect/dialect';
import { compatServers, DEBIAN, startVersion } from './servers';

test('XADD NOMKSTREAM / MAXLEN = / MINID and XTRIM MINID into 6.0 end as on 7.0', { timeout: 10 * 60_000 }, async (t) => {
  const found = compatServers();
  if ('skip' in found) {
    console.log(`skipped: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  const v7 = await startVersion(DEBIAN);
  const v6 = await startVersion(found.servers.get('6.0')!);
  const d6 = dialectFor({ flavor: 'redis', version: '6.0.20', redisVersion: '6.0.20' });
  try {
    const a = v7.client();
    const b = v6.client();
    const run = async (...args: string[]): Promise<void> => {
      await a.call(args[0], ...args.slice(1));
      const r = translateCommand(args.map((x) => Buffer.from(x)), d6, Date.now());
      assert.notEqual(r?.kind, 'unsupported');
      for (const c of r?.kind === 'commands' ? r.commands : [args]) await b.call(String(c[0]), ...c.slice(1).map((x) => (Buffer.isBuffer(x) ? x : String(x))));
    };
    for (let i = 1; i <= 30; i++) await run('XADD', 's', `${i}-0`, 'n', String(i));
    await run('XADD', 's', 'NOMKSTREAM', 'MAXLEN', '=', '25', '31-0', 'n', '31');
    await run('XADD', 's', 'MINID', '=', '10', '32-0', 'n', '32');
    await run('XTRIM', 's', 'MINID', '=', '15-0');
    await run('XADD', 's', 'MAXLEN', '20', '33-0', 'n', '33');
    const [ra, rb] = await Promise.all([a.call('XRANGE', 's', '-', '+'), b.call('XRANGE', 's', '-', '+')]);
    assert.deepEqual(rb, ra);
    assert.equal((ra as unknown[]).length, 19);
  } finally {
    await v7.stop();
    await v6.stop();
  }
});
