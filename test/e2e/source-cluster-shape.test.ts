// Issue 13: a source cluster that changes shape is followed, with no reconfiguration. Under an INCR/RPUSH/LPUSH/APPEND
// load (through a cluster client), a fourth master joins and takes 2,000 slots from the others (keys move by MIGRATE:
// the new owner's RESTORE-ASKING and the old owner's DEL arrive in two streams), then a master is SIGKILLed and the
// cluster promotes its replica, which continues the killed master's stream. The daemon must end with a stream per
// current master, every counter, list and string equal to the source's, and verify consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import { startRedis, startCluster, sleep, replicaOf } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { taskSpec, assertConsistent } from '../harness/sync';
import { exactDiffs } from '../faults/exact-load';
import { discoverCluster } from '../../provider/cluster/topology';
import { parseHostPort } from '../../provider/spec/address';
import { withClient } from '../../provider/precheck/node-facts';

const run = promisify(execFile);
const KEYS = 200;
const NODE_CONFIG = { 'cluster-node-timeout': '1000', 'repl-backlog-size': '64mb' };

/** The exact load through a cluster client, one command per key at a time; failed calls (a failover) are retried. */
async function clusterLoad(c: Cluster, prefix: string, stop: () => boolean, progress: { sent: number; errors: number }): Promise<void> {
  for (let sent = 0; !stop() && sent < 2_000_000;) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++, sent++) {
      const k = Math.floor(sent / 4) % KEYS;
      switch (sent % 4) {
        case 0: batch.push(c.incr(`${prefix}:c:${k}`)); break;
        case 1: batch.push(c.rpush(`${prefix}:r:${k}`, `e${sent}`)); break;
        case 2: batch.push(c.lpush(`${prefix}:l:${k}`, `e${sent}`)); break;
        default: batch.push(c.append(`${prefix}:a:${k}`, `${sent},`));
      }
    }
    const results = await Promise.allSettled(batch);
    progress.errors += results.filter((r) => r.status === 'rejected').length;
    progress.sent = sent;
    await sleep(2);
  }
}

/** Until the daemon runs one stream per master the cluster has now (caughtUp: each applied up to that master's offset). */
async function followed(d: Daemon, seed: string, timeoutMs: number, caughtUp: boolean): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const t = await discoverCluster([parseHostPort(seed)]);
    const offsets = await Promise.all(t.masters.map(async (m) => [m.name, await withClient(m.address, async (c) => Number(/master_repl_offset:(\d+)/.exec(await c.info('replication'))![1]))] as const));
    const st = d.status();
    last = JSON.stringify({ masters: offsets, status: st?.nodes.map((n) => [n.node, n.appliedOffset, n.state]) });
    if (st?.state === 'Failed') throw new Error(`task failed: ${st.lastError?.message}`);
    if (st?.state === 'Synchronizing' && st.nodes.length === offsets.length && offsets.every(([name, off]) => (st.nodes.find((n) => n.node === name)?.appliedOffset ?? -1) >= (caughtUp ? off : 0))) {
      return st.nodes.map((n) => n.node);
    }
    await sleep(200);
  }
  throw new Error(`the daemon did not follow the source cluster's shape within ${timeoutMs} ms: ${last}`);
}

test('a source cluster scaled 3 -> 4 masters under load, then a master killed: followed without reconfiguration, exact', { timeout: 300_000 }, async () => {
  const src = await startCluster({ masters: 3, replicasPerMaster: 1, config: NODE_CONFIG });
  const dst = await startRedis();
  const extra = await startRedis({ config: { 'cluster-enabled': 'yes', ...NODE_CONFIG } });
  const spec = taskSpec('shape', { addr: src.nodes[0] }, dst);
  spec.source = { mode: 'cluster', nodes: src.nodes };
  let d: Daemon | null = null;
  try {
    const c = src.client();
    d = startDaemon(spec);
    await d.waitForState('Synchronizing', 60_000);
    let stop = false;
    const progress = { sent: 0, errors: 0 };
    const loading = clusterLoad(c, 'sx', () => stop, progress);
    await sleep(1000);

    await run('redis-cli', ['--cluster', 'add-node', extra.addr, src.nodes[0]], { timeout: 60_000 });
    const newId = String(await extra.client().call('CLUSTER', 'MYID'));
    for (let i = 0; i < 100 && !/cluster_state:ok/.test(String(await extra.client().call('CLUSTER', 'INFO'))); i++) await sleep(100);
    await sleep(1500);
    const reshard = (slots: number): Promise<unknown> => run('redis-cli', ['--cluster', 'reshard', src.nodes[0], '--cluster-from', 'all', '--cluster-to', newId, '--cluster-slots', String(slots), '--cluster-yes', '--cluster-pipeline', '10'], { timeout: 120_000 });
    // One slot first: the new master gets a stream (full sync), then the rest moves while that stream runs, so each
    // moved key comes as the new owner's RESTORE-ASKING and the old owner's DEL, in two streams.
    await reshard(1);
    const four = await followed(d, src.nodes[0], 60_000, false);
    assert.equal(four.length, 4, 'a stream for the new master');
    await reshard(2000);
    await sleep(6000);
    await followed(d, src.nodes[0], 60_000, false);

    const victim = src.masters[1];
    const heir = await replicaOf(src.replicas, victim);
    process.kill(victim.pid, 'SIGKILL');
    for (let i = 0; i < 300 && !/role:master/.test(await heir.client().info('replication')); i++) await sleep(100);
    await sleep(3000);
    stop = true;
    await loading;

    const shape = await followed(d, src.nodes[0], 90_000, true);
    assert.ok(shape.includes(heir.addr) && !shape.includes(victim.addr), `streams follow the promoted replica: ${shape.join(', ')}`);
    const heirStream = d.status()!.nodes.find((n) => n.node === heir.addr)!;
    const { diffs, counters, elements, appended } = await exactDiffs(c, dst.client(), 'sx', KEYS);
    console.log(`source cluster 3 -> 4 masters (2,001 slots moved) then a master killed: ${progress.sent} commands (${progress.errors} refused during the failover), ${counters} INCR, ${elements} list elements, ${appended} bytes appended; the promoted replica's stream: ${heirStream.lastSync}; ${diffs.length} keys differ`);
    assert.deepEqual(diffs, [], `${diffs.slice(0, 5).join('; ')}`);
    await assertConsistent(spec, KEYS * 4);
    assert.notEqual(d.status()!.state, 'Failed');
  } catch (err) {
    console.log((d?.output() ?? '').split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-15).join('\n'));
    throw err;
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop(), extra.stop()]);
  }
});
