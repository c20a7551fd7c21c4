// Issue 18: into a cluster destination the consumer-group commands of one stream must arrive in source order. Each
// iteration writes, on one source connection, a stream, its group and the group's id, then reads, acks and claims,
// all in one slot ({xrN}); any reordering on the way makes the destination refuse with NOGROUP and fail the task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { startRedis, startCluster } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { type Side, isCluster, sideSpec, caughtUpAll, assertSidesConsistent } from '../harness/topology';

const ITERATIONS = 200;


/** One iteration: the sequence from the issue, then XREADGROUP, XACK, XCLAIM and XAUTOCLAIM on the same stream. */
async function groupIteration(c: Pick<Redis, 'pipeline'>, n: number): Promise<void> {
  const k = `{xr${n}}:s`;
  const p = c.pipeline();
  p.xadd(k, '1-0', 'f', 'v');
  p.xgroup('CREATE', k, 'g', '0');
  p.xgroup('SETID', k, 'g', '1-0');
  p.xadd(k, '2-0', 'f', 'v');
  p.xadd(k, '3-0', 'f', 'v');
  p.xadd(k, '4-0', 'f', 'v');
  p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', k, '>');
  p.xack(k, 'g', '2-0');
  p.xclaim(k, 'g', 'c2', 0, '3-0');
  p.xautoclaim(k, 'g', 'c3', 0, '0-0', 'COUNT', 1);
  p.xgroup('CREATECONSUMER', k, 'g', 'c4');
  const replies = await p.exec();
  const failed = replies?.find(([err]) => err);
  if (failed) throw failed[0];
}

async function groupsInOrder(name: string, src: Side, dst: Side): Promise<void> {
  let d: Daemon | null = null;
  const c = isCluster(src) ? src.client() : src.client().duplicate();
  try {
    const s = sideSpec(name, src, dst, isCluster(src) ? {} : { databases: [0] });
    d = startDaemon(s);
    await d.waitForState('Synchronizing', 60_000);
    for (let n = 1; n <= ITERATIONS; n++) await groupIteration(c, n);
    await caughtUpAll(d, src);
    assert.equal(d.status()?.state, 'Synchronizing', `task state: ${JSON.stringify(d.status()?.lastError)}`);
    await assertSidesConsistent(s, ITERATIONS);
  } finally {
    if (!isCluster(src)) c.disconnect();
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
}

test('stream group commands keep their order: standalone -> cluster (3 masters), 200 iterations', async () => {
  await groupsInOrder('xgroup-s2c', await startRedis(), await startCluster({ masters: 3 }));
});

test('stream group commands keep their order: cluster (3) -> cluster (3), 200 iterations', async () => {
  await groupsInOrder('xgroup-c2c', await startCluster({ masters: 3 }), await startCluster({ masters: 3 }));
});
