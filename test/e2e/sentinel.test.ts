// mode "sentinel": the task asks the sentinels for the master, and when the master is killed under a write load and
// Sentinel promotes a replica, the task follows by itself (no redeploy) and the destination equals the new master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { startSentinels } from '../harness/sentinel';
import { caughtUp, assertConsistent } from '../harness/sync';
import type { TaskSpec } from '../../provider/spec/types';
import { staticProblems } from '../../provider/spec/resolve';

async function replicaOf(master: RedisServer): Promise<RedisServer> {
  const r = await startRedis({ config: { replicaof: `${master.host} ${master.port}`, 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '16mb' } });
  for (let i = 0; i < 200 && !/master_link_status:up/.test(await r.client().info('replication')); i++) await sleep(50);
  return r;
}

test('a failover under a write load: the task follows the promoted replica by itself; counters exact', { timeout: 150_000 }, async () => {
  const master = await startRedis({ config: { 'repl-diskless-sync-delay': '0', 'repl-backlog-size': '16mb' } });
  const replicas = [await replicaOf(master), await replicaOf(master)];
  const sentinels = await startSentinels(master, 'orders');
  const dst = await startRedis();
  const load = new Redis({ sentinels: sentinels.addrs.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })), name: 'orders', maxRetriesPerRequest: 50 });
  load.on('error', () => undefined);
  try {
    const spec: TaskSpec = {
      name: 'sentinel-failover', heartbeat: { intervalMs: 100 },
      source: { mode: 'sentinel', nodes: sentinels.addrs, masterName: 'orders' },
      destination: { mode: 'standalone', nodes: [dst.addr] },
    };
    for (let i = 0; i < 50; i++) await load.set(`c:${i}`, 0);
    const d = startDaemon(spec);
    try {
      await d.waitForState('Synchronizing', 60_000);
      let stop = false;
      let sent = 0;
      const writing = (async () => {
        for (let i = 0; i < 100_000 && !stop; i++) {
          try {
            await load.pipeline(Array.from({ length: 20 }, (_, j) => ['incr', `c:${(i * 20 + j) % 50}`])).exec();
            sent += 20;
          } catch { await sleep(50); }
        }
      })();
      await sleep(1500);
      await master.kill('SIGKILL');
      const promoted = await sentinels.promotedFrom(master.addr);
      await sleep(2000);
      stop = true;
      await writing;
      assert.ok(sent > 200, `load sent ${sent}`);
      const newMaster = replicas.find((r) => r.addr === promoted)!;
      // Streaming the promoted master's history (its replid): an earlier status still says Synchronizing with the old
      // master's offsets, past the new master's, which would pass for caught up.
      const replid = /master_replid:(\w+)/.exec(await newMaster.client().info('replication'))![1];
      const st = await d.waitFor((x) => x.state === 'Synchronizing' && x.nodes[0].node === promoted && x.nodes[0].replid === replid, 60_000, 'the task streaming from the promoted master');
      await caughtUp(d, newMaster);
      await assertConsistent(spec, 50); // verify asks the sentinels too
      const sum = async (c: Redis): Promise<number> => (await c.mget(Array.from({ length: 50 }, (_, i) => `c:${i}`))).reduce((s, v) => s + Number(v), 0);
      assert.equal(await sum(dst.client()), await sum(newMaster.client()), 'counters exact');
      assert.ok(['continue', 'full'].includes(st.nodes[0].lastSync ?? ''), JSON.stringify(st.nodes[0]));
      process.stdout.write(`# after the failover: ${st.nodes[0].lastSync}, ${sent} INCR sent\n`);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    load.disconnect();
    sentinels.stop();
    await Promise.all([master.stop().catch(() => undefined), ...replicas.map((r) => r.stop()), dst.stop()]);
  }
});

test('spec: sentinel needs masterName on either side, and masterName needs sentinel', () => {
  const base: TaskSpec = { name: 't', source: { mode: 'sentinel', nodes: ['127.0.0.1:1'] }, destination: { mode: 'sentinel', nodes: ['127.0.0.1:2'] } };
  const problems = staticProblems(base).map((p) => `${p.path}: ${p.message}`).join('\n');
  assert.match(problems, /source\.masterName: is required with mode "sentinel"/);
  assert.match(problems, /destination\.masterName: is required with mode "sentinel"/);
  assert.deepEqual(staticProblems({ ...base, source: { ...base.source, masterName: 'a' }, destination: { ...base.destination, masterName: 'b' } }), []);
  const other = staticProblems({ ...base, source: { mode: 'standalone', nodes: ['127.0.0.1:1'], masterName: 'x' }, destination: { mode: 'standalone', nodes: ['127.0.0.1:2'] } });
  assert.deepEqual(other.map((p) => p.path), ['source.masterName']);
});
