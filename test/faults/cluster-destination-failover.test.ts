// Exactly-once into a cluster destination whose masters fail over while the task runs, under an INCR/RPUSH/LPUSH/APPEND
// load: one replica takes over by CLUSTER FAILOVER (no write lost), then another master is cut from its replica for a
// second (requirepass, CLIENT KILL TYPE replica) and SIGKILLed, and the cluster promotes the replica: the writes the
// master confirmed in that second are gone, and the claims written with them.
// Every counter, list and string must equal the source's: the daemon resumes from what the slots hold, not from the
// checkpoint it saved from the lost master's confirmations. The worker is killed -9 about every second around both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, sleep, replicaOf, type RedisServer } from '../harness/redis';
import { runExactLoad, exactDiffs } from './exact-load';
import { taskSpec, startSupervised, waitStatus, caughtUp, removeStateDir, CRASH_TOLERANT } from './helpers';
import { prng } from '../harness/dataset';

const KEYS = 30;

async function waitMaster(s: RedisServer, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < 10_000 && Date.now() - t0 < timeoutMs; i++) {
    const info = await s.client().info('replication');
    if (/role:master/.test(info)) {
      const state = (await s.client().call('CLUSTER', 'INFO')) as string;
      if (/cluster_state:ok/.test(state)) return;
    }
    await sleep(100);
  }
  throw new Error(`${s.addr} was not promoted within ${timeoutMs} ms`);
}

test('a cluster destination fails over twice (CLUSTER FAILOVER, then a master SIGKILLed) under load, worker killed -9 every second: exact', { timeout: 300_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb' } });
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, config: { 'cluster-node-timeout': '1000' } });
  const spec = taskSpec('dstfailover', src, { addr: cluster.nodes[0] }, { databases: [0] });
  spec.destination = { mode: 'cluster', nodes: cluster.nodes };
  let d: Awaited<ReturnType<typeof startSupervised>> | null = null;
  try {
    const c = src.client();
    await c.set('seed', '1');
    d = await startSupervised(spec, { supervisor: CRASH_TOLERANT });
    await waitStatus(d, (s) => s.state === 'Synchronizing', 60_000, 'Synchronizing');
    const load = runExactLoad(c, 'fx', KEYS);
    await sleep(1500);
    const rnd = prng(31);
    let kills = 0;
    let worker: number | null = null;
    /** kill -9 of the worker about every second for `ms`, while `during` runs. */
    const killFor = async (ms: number, during: Promise<unknown> = Promise.resolve()): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        worker = await d!.nextWorker(worker, 60_000);
        await sleep(700 + Math.floor(rnd() * 800));
        try { process.kill(worker, 'SIGKILL'); kills++; } catch { /* gone */ }
      }
      await during;
    };

    const graceful = await replicaOf(cluster.replicas, cluster.masters[0]);
    await killFor(5000, (async () => {
      await graceful.client().call('CLUSTER', 'FAILOVER');
      await waitMaster(graceful, 30_000);
    })());

    // The last worker killed above is back and writing before the master is cut off (see below).
    await waitStatus(d, (st) => st.state === 'Synchronizing' && Date.now() - Date.parse(st.startedAt) > 1000, 60_000, 'Synchronizing again');
    const victim = cluster.masters[1];
    const heir = await replicaOf(cluster.replicas, victim);
    await victim.client().config('SET', 'requirepass', 'cut-off');
    await victim.client().call('CLIENT', 'KILL', 'TYPE', 'replica');
    await sleep(1000);
    process.kill(victim.pid, 'SIGKILL');
    await waitMaster(heir, 30_000);
    // Not while the master was cut off: a worker starting then would meet its password (NOAUTH), which is not retried.
    await killFor(5000);

    const sent = await load.finish();
    await waitStatus(d, (s) => s.state === 'Synchronizing', 120_000, 'Synchronizing after the failovers');
    await caughtUp(d, src, 120_000);
    const { diffs, counters, elements, appended } = await exactDiffs(c, cluster.client(), 'fx', KEYS);
    const lowered = (d.log().match(/resuming from what they hold/g) ?? []).length;
    assert.ok(kills >= 5, `only ${kills} kills`);
    console.log(`cluster destination failed over twice, ${kills} kills, ${sent} commands (${counters} INCR, ${elements} RPUSH/LPUSH, ${appended} bytes appended); resumed below the saved checkpoint ${lowered} times; ${diffs.length} keys differ`);
    assert.deepEqual(diffs, []);
    assert.ok(lowered > 0, 'the promoted replica was expected to lack writes its master had confirmed (the test lost its point)');
  } catch (err) {
    const lines = (d?.log() ?? '').split('\n').filter((l) => /"level":(40|50)/.test(l));
    console.log(lines.slice(-15).join('\n'));
    throw err;
  } finally {
    await d?.stop();
    if (d) removeStateDir(d.stateDir);
    await cluster.stop();
    await src.stop();
  }
});
