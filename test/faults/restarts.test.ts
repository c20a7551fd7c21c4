// Server restarts under a running task: the source with persistence (the RDB saved at shutdown keeps the replication
// id as replid2: partial resync) and without (a new replid: full sync, which empties the destination first), the
// destination (AOF: its checkpoint survives, +CONTINUE), and a failover of the source to its replica behind a
// re-targeted proxy (the promoted replica accepts the old replid: +CONTINUE with the new one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { FaultProxy } from '../harness/fault-proxy';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { taskSpec, waitStatus, resumedWithContinue, caughtUp, assertConsistent, masterReplid, masterOffset } from './helpers';

const FAST_SOURCE = { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '64mb' };

test('source restart with persistence resumes with +CONTINUE; without persistence it syncs in full', { timeout: 90_000 }, async () => {
  const src = await startRedis({ config: { ...FAST_SOURCE, save: '3600 1' } });
  const dst = await startRedis();
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    await fillEveryType(c, 2);
    const spec = taskSpec('srcrestart', src, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    const load = c.duplicate();
    await runMixedLoad(load, { dbs: [0, 2], durationMs: 1000, maxCommands: 5000, seed: 3 });
    load.disconnect();
    await caughtUp(d, src);
    const replidBefore = await masterReplid(src);

    // 1. SIGTERM: redis saves the RDB with its replication id and offset; the restarted master keeps it as replid2.
    await src.kill('SIGTERM');
    await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying while the source is down');
    await src.restart();
    assert.notEqual(await masterReplid(src), replidBefore, 'a restarted master announces a new replid (the old one is its replid2)');
    await src.client().set('after-restart-1', '1');
    const st1 = await resumedWithContinue(d, 30_000, 'Synchronizing after restart 1', 'same replication history: partial resync');
    await caughtUp(d, src);
    await assertConsistent(spec, 40);

    // 2. Killed, its dump removed: it comes back empty with a new history; the task must sync in full and the
    // destination must lose the keys the source lost.
    const full = st1.nodes[0].fullSync.startedAt;
    await src.kill('SIGKILL');
    rmSync(join(src.dir, 'dump.rdb'), { force: true });
    await src.restart();
    await src.client().set('after-restart-2', '1');
    const st2 = await waitStatus(d, (s) => s.state === 'Synchronizing' && s.nodes[0].lastSync === 'full' && s.nodes[0].fullSync.startedAt !== full, 30_000, 'a full sync after restart 2');
    assert.equal(st2.nodes[0].lastSync, 'full');
    await caughtUp(d, src);
    const dc = dst.client();
    await dc.select(2);
    assert.equal(await dc.dbsize(), 0, 'db 2 was emptied on the source: it must be empty on the destination too');
    await dc.select(0);
    assert.equal(await dc.get('after-restart-2'), '1');
    assert.equal(await dc.exists('after-restart-1'), 0);
    await assertConsistent(spec, 1);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('destination restart (AOF): Retrying, then +CONTINUE from the checkpoint it kept; nothing lost or doubled', { timeout: 60_000 }, async () => {
  const src = await startRedis({ config: FAST_SOURCE });
  const dst = await startRedis({ config: { appendonly: 'yes', appendfsync: 'always' } });
  let d: Daemon | null = null;
  try {
    const c = src.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('dstrestart', src, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    const load = c.duplicate();
    const loading = runMixedLoad(load, { dbs: [0, 1], durationMs: 4000, maxCommands: 20_000, seed: 5 });
    await sleep(800);
    await dst.kill('SIGTERM');
    const r = await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying while the destination is down');
    assert.match(r.lastError?.message ?? '', /destination/);
    await sleep(1000);
    await dst.restart();
    await loading;
    load.disconnect();
    await resumedWithContinue(d, 30_000, 'Synchronizing after the restart');
    await caughtUp(d, src);
    await assertConsistent(spec, 20);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('failover of the source to its replica (REPLICAOF NO ONE) behind a re-targeted proxy: +CONTINUE, nothing lost', { timeout: 60_000 }, async () => {
  const master = await startRedis({ config: { ...FAST_SOURCE, 'repl-ping-replica-period': '60' } });
  const replica = await startRedis({ config: { ...FAST_SOURCE, replicaof: `${master.host} ${master.port}` } });
  const dst = await startRedis();
  const proxy = await FaultProxy.start(master);
  let d: Daemon | null = null;
  try {
    const c = master.client();
    await fillEveryType(c, 0);
    const spec = taskSpec('failover', { addr: proxy.addr }, dst);
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 30_000);
    const load = c.duplicate();
    await runMixedLoad(load, { dbs: [0, 1], durationMs: 1500, maxCommands: 8000, seed: 9 });
    load.disconnect();
    await caughtUp(d, master);
    const oldReplid = await masterReplid(master);

    // The daemon loses the master (nothing it writes, like the heartbeat, can reach the old master any more).
    await proxy.down();
    await waitStatus(d, (s) => s.state === 'Retrying', 15_000, 'Retrying after the master went away');
    const target = await masterOffset(master);
    await waitReplicaAt(replica, target);
    await replica.client().call('REPLICAOF', 'NO', 'ONE');
    await master.kill('SIGKILL');
    proxy.retarget(replica);
    await proxy.up();
    const nc = replica.client();
    await nc.set('after-failover', '1');
    await nc.rpush('list-after-failover', 'a', 'b');
    const st = await resumedWithContinue(d, 30_000, 'Synchronizing on the promoted replica', 'the promoted replica knows the old replid: partial resync');
    assert.notEqual(st.nodes[0].replid, oldReplid, 'the stream goes on under the new master\'s replid');
    await caughtUp(d, replica);
    assert.equal(await dst.client().get('after-failover'), '1');
    await assertConsistent(spec, 20);
  } finally {
    await d?.kill('SIGTERM');
    await proxy.close();
    await Promise.all([master.stop(), replica.stop(), dst.stop()]);
  }
});

async function waitReplicaAt(replica: RedisServer, offset: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const info = await replica.client().info('replication');
    if (Number(/slave_repl_offset:(\d+)/.exec(info)?.[1] ?? -1) >= offset) return;
    await sleep(20);
  }
  throw new Error(`replica did not reach offset ${offset}`);
}
