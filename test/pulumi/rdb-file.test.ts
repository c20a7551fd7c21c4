// An RDB file as the source through Pulumi, as a user declares it: `up` loads the file and the resource reports
// Loaded; a second `up` leaves it loaded (no daemon to restart); `destroy` removes the task's keys and nothing else.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startRedis } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, TASK_PROGRAM } from '../harness/pulumi';
import { fixturesDir } from '../rdb/util';

before(() => { pulumiBinDir(); });

test('pulumi up of a task whose source is an RDB file: Loaded, the keys there, a second up changes nothing, destroy keeps the data', async () => {
  const dst = await startRedis();
  const p = createProject('rdb-file', TASK_PROGRAM);
  try {
    await p.run(['stack', 'init', 'dev']);
    const args = { source: { rdbFile: join(fixturesDir(), 'redis', 'encodings.rdb') }, destination: { mode: 'standalone', nodes: [dst.addr] } };
    await p.setConfig('taskArgs', JSON.stringify(args));
    const up = await p.run(['up', '--yes', '--skip-preview']);
    const [out] = await taskOutputs(p);
    assert.equal(out.state, 'Loaded', up.stdout);
    const keys = (await dst.client().keys('*')).filter((k) => !k.startsWith('redis-sync:'));
    assert.ok(keys.length > 10, `${keys.length} keys loaded`);
    const again = await p.run(['up', '--yes', '--skip-preview']);
    assert.match(again.stdout, /unchanged|0 to update|no changes/i);
    const [still] = await taskOutputs(p);
    assert.equal(still.state, 'Loaded');
    await p.run(['destroy', '--yes', '--skip-preview']);
    assert.deepEqual(await dst.client().keys('redis-sync:*'), []);
    assert.equal((await dst.client().keys('*')).length, keys.length, 'destroy removed loaded data');
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await dst.stop();
  }
});
