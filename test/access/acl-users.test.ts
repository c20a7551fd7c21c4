// The task's least-privilege ACL users on real servers: the source user may write its heartbeat key and nothing else,
// even when that key contains glob characters (an ACL key pattern is a glob).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { startRedis } from '../harness/redis';
import { grantAccess, revokeAccess, aclUserName, escapeGlob } from '../../provider/access/acl-users';
import { taskSpec } from '../harness/sync';

test('escapeGlob makes every glob character literal', () => {
  assert.equal(escapeGlob('hb*?[x]\\'), 'hb\\*\\?\\[x\\]\\\\');
  assert.equal(escapeGlob('redis-sync:heartbeat:orders-1f2e'), 'redis-sync:heartbeat:orders-1f2e');
});

test('a heartbeat key with glob characters gives the source user that key only; revokeAccess removes the users', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const spec = { ...taskSpec('glob', src, dst), id: 'glob-0001', heartbeat: { key: 'hb*[1]' } };
    const daemonSpec = await grantAccess(spec);
    assert.equal(daemonSpec.source.username, aclUserName('glob-0001'));
    const asTask = new Redis({ host: src.host, port: src.port, username: daemonSpec.source.username, password: daemonSpec.source.password, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await asTask.connect();
      assert.equal(await asTask.set('hb*[1]', '1'), 'OK');
      assert.equal(await asTask.set('hb*[1]:{a}', '1'), 'OK', 'the tagged forms of a cluster source');
      for (const other of ['hbEVIL', 'hb1', 'hbx[1]', 'user:data']) {
        await assert.rejects(asTask.set(other, 'x'), /NOPERM/, `SET ${other} must be refused`);
      }
    } finally {
      asTask.disconnect();
    }
    await revokeAccess(spec);
    for (const s of [src, dst]) assert.ok(!((await s.client().call('ACL', 'USERS')) as string[]).includes('redis-sync-glob-0001'));
  } finally {
    await src.stop();
    await dst.stop();
  }
});
