import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
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

test('a server that exits at start fails at once, saying why, instead of waiting out the timeout', async () => {
  // A cluster node on a port over 55535 has no valid bus port: redis-server refuses to start.
  // A free one: with a taken port the harness would retry on another, valid one (other test runs share this machine).
  const port = await freeHighPort();
  const t0 = Date.now();
  await assert.rejects(startRedis({ port, config: { 'cluster-enabled': 'yes' } }), /exited before accepting connections; redis\.log: .*55535/);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('cluster nodes get ports whose bus port (port + 10000) is valid', async () => {
  const c = await startCluster({ masters: 3 });
  try {
    for (const m of c.masters) assert.ok(m.port + 10000 <= 65535, `port ${m.port}`);
  } finally {
    await c.stop();
  }
});

/** A free TCP port above 55535 (whose cluster bus port, port + 10000, cannot exist). */
async function freeHighPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    // Above the ephemeral range too (32768-60999 here), where connections of other tests take their local ports.
    const port = 61000 + Math.floor(Math.random() * 4535);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port above 55535');
}
