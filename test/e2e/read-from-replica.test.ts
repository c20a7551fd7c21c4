// source.readFrom: the replication stream comes from a replica of the source master, which then serves the task
// neither a snapshot nor a stream; the heartbeat written on the master arrives through the replica's stream (the lag
// is measured), the offsets are the master's own, and a readFrom that is not a replica fails its precheck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { runTask } from '../bad-input/cli';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { taskSpec, caughtUp, assertConsistent } from '../harness/sync';
import type { TaskSpec } from '../../provider/spec/types';

function info(s: RedisServer, field: string): Promise<string> {
  return s.client().info('replication').then((text) => new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1].trim() ?? '');
}

async function linkedReplica(master: RedisServer): Promise<RedisServer> {
  const replica = await startRedis({ config: { replicaof: `${master.host} ${master.port}`, 'repl-diskless-sync-delay': '0' } });
  for (let i = 0; i < 200 && (await info(replica, 'master_link_status')) !== 'up'; i++) await sleep(50);
  assert.equal(await info(replica, 'master_link_status'), 'up');
  return replica;
}

test('the stream from a named replica: full sync, load on the master, lag through the replica, verify', { timeout: 120_000 }, async () => {
  const master = await startRedis({ config: { 'repl-diskless-sync-delay': '0' } });
  const replica = await linkedReplica(master);
  const dst = await startRedis();
  try {
    await fillEveryType(master.client(), 0);
    const s: TaskSpec = taskSpec('from-replica', master, dst);
    s.source.readFrom = replica.addr;
    const d = startDaemon(s);
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      assert.ok(st.prechecks.some((p) => p.id === 'source-replica' && p.result === 'passed'), JSON.stringify(st.prechecks));
      // The master serves only its own replica; the task is the replica's replica.
      assert.equal(await info(master, 'connected_slaves'), '1');
      assert.equal(await info(replica, 'connected_slaves'), '1');
      const load = master.client().duplicate();
      await runMixedLoad(load, { dbs: [0, 1], durationMs: 4000, maxCommands: 8000, seed: 9 });
      load.disconnect();
      await caughtUp(d, master); // the master's offsets, through the replica
      const lagged = await d.waitFor((x) => x.nodes[0].lagMs !== null, 10_000, 'a lag measured by the heartbeat written on the master');
      assert.ok(lagged.nodes[0].lagMs! < 5000);
      await assertConsistent(s, 20);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([master.stop(), replica.stop(), dst.stop()]);
  }
});

test('readFrom a server that is not a replica fails source-replica; readFrom on a cluster source is refused', { timeout: 60_000 }, async () => {
  const master = await startRedis();
  const other = await startRedis();
  const dst = await startRedis();
  try {
    const s = taskSpec('from-master', master, dst);
    s.source.readFrom = other.addr;
    const r = await runTask(s);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`FAILED\\s+source-replica\\s+source.readFrom ${other.addr.replace(/\./g, '\\.')} is a master, not a replica of the source`));
    const bad = await runTask({ ...s, source: { ...s.source, mode: 'cluster' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /source\.readFrom: reading from a replica is supported for a standalone source only/);
  } finally {
    await Promise.all([master.stop(), other.stop(), dst.stop()]);
  }
});

test('readFrom "any": the healthiest online replica, and another one after it dies, with no new deployment', { timeout: 120_000 }, async () => {
  const master = await startRedis({ config: { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '16mb' } });
  const replicas = [await linkedReplica(master), await linkedReplica(master)];
  const dst = await startRedis();
  try {
    await fillEveryType(master.client(), 0);
    const s: TaskSpec = taskSpec('from-any', master, dst);
    s.source.readFrom = 'any';
    const d = startDaemon(s);
    try {
      await d.waitForState('Synchronizing', 60_000);
      const serving = async (): Promise<number> => {
        const n = await Promise.all(replicas.map((r) => info(r, 'connected_slaves').catch(() => '0')));
        return n.findIndex((x) => x === '1');
      };
      const first = await serving();
      assert.ok(first >= 0, 'the task streams from one of the replicas');
      assert.equal(await info(master, 'connected_slaves'), '2', 'and not from the master');
      await replicas[first].stop();
      const load = master.client().duplicate();
      await runMixedLoad(load, { dbs: [0], durationMs: 3000, maxCommands: 5000, seed: 13 });
      load.disconnect();
      await d.waitFor((x) => x.nodes[0].reconnects > 0 && x.state === 'Synchronizing', 30_000, 'a reconnection');
      await caughtUp(d, master);
      const other = 1 - first;
      assert.equal(await info(replicas[other], 'connected_slaves'), '1', 'the task moved to the other replica');
      await assertConsistent(s, 20);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([master.stop(), ...replicas.map((r) => r.stop()), dst.stop()]);
  }
});
