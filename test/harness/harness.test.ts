import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startRedis, startCluster } from './redis';

test('standalone server starts with config flags, answers, and is stopped by pid', async () => {
  const s = await startRedis({ config: { 'maxmemory-policy': 'allkeys-lru' }, password: 'pw-harness' });
  try {
    assert.equal(await s.client().set('k', 'v'), 'OK');
    const [, policy] = (await s.client().config('GET', 'maxmemory-policy')) as string[];
    assert.equal(policy, 'allkeys-lru');
  } finally {
    await s.stop();
  }
  assert.throws(() => process.kill(s.pid, 0));
  assert.equal(existsSync(s.dir), false);
});

test('cluster of 3 masters with replicas has every slot assigned', async () => {
  const c = await startCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    const info = (await c.masters[0].client().cluster('INFO')) as string;
    assert.match(info, /cluster_slots_assigned:16384/);
    assert.match(info, /cluster_known_nodes:6/);
    await c.client().set('{a}x', '1');
    assert.equal(await c.client().get('{a}x'), '1');
  } finally {
    await c.stop();
  }
});
