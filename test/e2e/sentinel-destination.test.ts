// A Sentinel-managed destination: the daemon writes the master the sentinels name. Its master is killed under a
// write load and Sentinel promotes a replica: the daemon continues on the new master by itself, from the checkpoint
// the replica received in the same transactions as the data, so the writes the old master took but never passed on
// are written again, once (the replicas are made to miss the master's last writes): counters exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import { taskPaths } from '../../provider/state/files';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { startSentinels } from '../harness/sentinel';
import { caughtUp, assertConsistent } from '../harness/sync';
import type { TaskSpec } from '../../provider/spec/types';

const COUNTERS = 50;

async function replicaOf(master: RedisServer): Promise<RedisServer> {
  const r = await startRedis({ config: { replicaof: `${master.host} ${master.port}`, 'repl-diskless-sync-delay': '0' } });
  for (let i = 0; i < 200 && !/master_link_status:up/.test(await r.client().info('replication')); i++) await sleep(50);
  return r;
}

async function sum(c: Redis): Promise<number> {
  return (await c.mget(Array.from({ length: COUNTERS }, (_, i) => `c:${i}`))).reduce((s, v) => s + Number(v ?? 0), 0);
}

test('a Sentinel-managed destination fails over under a write load: the task continues on the promoted replica; counters exact', { timeout: 180_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb' } });
  const master = await startRedis({ config: { 'repl-diskless-sync-delay': '0' } });
  const replicas = [await replicaOf(master), await replicaOf(master)];
  const sentinels = await startSentinels(master, 'dest');
  const load = src.client().duplicate();
  try {
    const spec: TaskSpec = {
      name: 'sentinel-destination', heartbeat: { intervalMs: 100 },
      source: { mode: 'standalone', nodes: [src.addr] },
      destination: { mode: 'sentinel', nodes: sentinels.addrs, masterName: 'dest' },
    };
    for (let i = 0; i < COUNTERS; i++) await load.set(`c:${i}`, 0);
    const d = startDaemon(spec);
    try {
      const first = await d.waitForState('Synchronizing', 60_000);
      let stop = false;
      let sent = 0;
      const writing = (async () => {
        for (let i = 0; i < 200_000 && !stop; i++) {
          await load.pipeline(Array.from({ length: 20 }, (_, j) => ['incr', `c:${(i * 20 + j) % COUNTERS}`])).exec();
          sent += 20;
        }
      })();
      await sleep(1500);
      // The master drops its replicas' links, which cannot come back (a password now; the daemon's connections are
      // already authenticated), and dies: the writes it acknowledged meanwhile, which the daemon's local checkpoint
      // cache already counts, never reach the replica that is promoted.
      await master.client().call('CONFIG', 'SET', 'requirepass', 'locked-out');
      await master.client().call('CLIENT', 'KILL', 'TYPE', 'replica');
      await sleep(300);
      await master.kill('SIGKILL');
      const promoted = await sentinels.promotedFrom(master.addr);
      await sleep(2000);
      stop = true;
      await writing;
      assert.ok(sent > 1000, `load sent ${sent}`);
      const newMaster = replicas.find((r) => r.addr === promoted)!;
      // The run on the new master (a new runner: its own startedAt), not the first run's last status.
      await d.waitFor((x) => x.state === 'Synchronizing' && x.startedAt !== first.startedAt, 60_000, 'the task synchronizing again on the new master');
      await caughtUp(d, src, 60_000);
      assert.equal(await sum(newMaster.client()), sent, 'the new destination master\'s counters differ from the INCRs sent');
      assert.equal(await sum(src.client()), sent);
      await assertConsistent(spec, COUNTERS); // verify asks the sentinels for the destination too
      assert.match(readFileSync(taskPaths(d.stateDir, spec.name).log, 'utf8'), /the destination failed over/);
      process.stdout.write(`# destination failover: ${sent} INCR sent, counters exact on ${promoted}\n`);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    load.disconnect();
    sentinels.stop();
    await Promise.all([src.stop(), master.stop().catch(() => undefined), ...replicas.map((r) => r.stop())]);
  }
});
