// Prechecks on facts that cannot be staged with the one installed redis-server (a destination older than the
// source), and on a real cluster with unassigned slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../../provider/precheck/checks';
import type { NodeFacts } from '../../provider/precheck/node-facts';
import { runPrechecks } from '../../provider/precheck/run-prechecks';
import { startCluster, startRedis } from '../harness/redis';
import type { TaskSpec } from '../../provider/spec/types';

function facts(node: string, version: string, extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    node, error: null, version, runId: `run-${node}`, clusterEnabled: false, role: 'master', masterHost: null, masterPort: null,
    usedMemory: 1_000_000, maxmemory: 0, maxmemoryPolicy: 'noeviction', replTimeout: 600, replBacklogSize: 256 * 1024 * 1024,
    keyspace: new Map(), psyncAvailable: true, psyncCommand: 'PSYNC', ...extra,
  };
}

const spec: TaskSpec = {
  name: 'pre',
  source: { mode: 'standalone', nodes: ['10.0.0.5:6379'] },
  destination: { mode: 'standalone', nodes: ['10.0.1.9:6379'] },
};

test('a destination older than the source is a warning when keys must be rewritten, and Valkey is read as Valkey', () => {
  const items = evaluate({ spec, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [facts('10.0.1.9:6379', '6.2.14')], resuming: false });
  const item = items.find((i) => i.id === 'destination-version');
  assert.equal(item?.result, 'warning');
  assert.equal(item?.node, '10.0.1.9:6379');
  assert.match(item!.message, /destination 10\.0\.1\.9:6379 \(Redis 6\.2\.14\), source Redis 7\.0\.15: the destination cannot RESTORE the source's RDB 10 values \(it loads RDB 9\), so the full sync rewrites keys as commands/);
  // Same or newer passes.
  const newer = evaluate({ spec, source: [facts('10.0.0.5:6379', '6.2.14')], destination: [facts('10.0.1.9:6379', '7.0.15')], resuming: false });
  assert.equal(newer.find((i) => i.id === 'destination-version')?.result, 'passed');
  // Redis 7.2.6 into Valkey 8.0.1 (which speaks 7.2.4 and loads RDB 11): not "older".
  const valkey = { flavor: 'valkey' as const, version: '8.0.1', redisVersion: '7.2.4' };
  const v = evaluate({ spec, source: [facts('10.0.0.5:6379', '7.2.6')], destination: [facts('10.0.1.9:6379', '7.2.4', { server: valkey })], resuming: false });
  const vi = v.find((i) => i.id === 'destination-version');
  assert.equal(vi?.result, 'passed');
  assert.match(vi!.message, /Valkey 8\.0\.1/);
  // A destination before 2.8 cannot be written.
  const old = evaluate({ spec, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [facts('10.0.1.9:6379', '2.6.17')], resuming: false });
  assert.equal(old.find((i) => i.id === 'destination-version')?.result, 'failed');
});

test('data the destination cannot hold fails destination-unsupported-data, naming the type, count and keys; ignoring it skips them', () => {
  const unsupported = [{ node: '10.0.0.5:6379', what: 'streams', why: 'streams need Redis 5.0 or later', count: 7, atLeast: false, examples: ['0:s1', '0:s2'] }];
  const items = evaluate({ spec, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [facts('10.0.1.9:6379', '4.0.14')], resuming: false, unsupported });
  const item = items.find((i) => i.id === 'destination-unsupported-data');
  assert.equal(item?.result, 'failed');
  assert.match(item!.message, /has 7 streams \(0:s1, 0:s2, \.\.\.\) and the destination cannot hold them: streams need Redis 5\.0 or later.*ignore this check to skip them/);
  const ignored = evaluate({ spec: { ...spec, ignorePrechecks: ['destination-unsupported-data'] }, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [facts('10.0.1.9:6379', '4.0.14')], resuming: false, unsupported });
  assert.equal(ignored.find((i) => i.id === 'destination-unsupported-data')?.result, 'ignored');
});

test('a source older than 2.8 (no PSYNC) fails source-version', () => {
  const items = evaluate({ spec, source: [facts('10.0.0.5:6379', '2.6.17')], destination: [facts('10.0.1.9:6379', '7.0.15')], resuming: false });
  assert.match(items.find((i) => i.id === 'source-version' && i.result === 'failed')?.message ?? '', /runs Redis 2\.6\.17; PSYNC needs 2\.8 or later/);
});

test('a destination with keys fails destination-empty, unless the task is resuming or existingData allows it', () => {
  const busy = facts('10.0.1.9:6379', '7.0.15', { keyspace: new Map([[0, 12], [3, 1]]) });
  const items = evaluate({ spec, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [busy], resuming: false });
  assert.match(items.find((i) => i.id === 'destination-empty')?.message ?? '', /already has keys \(db0: 12, db3: 1\)/);
  assert.equal(evaluate({ spec, source: [facts('10.0.0.5:6379', '7.0.15')], destination: [busy], resuming: true }).some((i) => i.id === 'destination-empty'), false);
});

test('a cluster with unassigned slots (CLUSTER DELSLOTS) fails the cluster precheck naming the slots', { timeout: 90_000 }, async () => {
  const cluster = await startCluster({ masters: 3 });
  const dst = await startRedis();
  try {
    const m = cluster.masters[0];
    const info = (await m.client().call('CLUSTER', 'MYID')) as string;
    assert.ok(info);
    // The first master serves 0-5460: take 100-199 away from it.
    await m.client().call('CLUSTER', 'DELSLOTS', ...Array.from({ length: 100 }, (_, i) => String(100 + i)));
    const clusterSpec: TaskSpec = {
      name: 'slots',
      source: { mode: 'cluster', nodes: cluster.nodes },
      destination: { mode: 'standalone', nodes: [dst.addr] },
      databases: [0],
    };
    let items = await runPrechecks(clusterSpec, { resuming: false });
    for (let i = 0; i < 50 && !items.some((x) => x.id === 'source-cluster-slots' && x.result === 'failed'); i++) {
      await new Promise((r) => setTimeout(r, 100)); // the other nodes learn of the change by gossip
      items = await runPrechecks(clusterSpec, { resuming: false });
    }
    const slots = items.find((i) => i.id === 'source-cluster-slots');
    assert.equal(slots?.result, 'failed', JSON.stringify(items));
    assert.match(slots!.message, /source cluster: slots 100-199 are not served by any master: assign them \(redis-cli --cluster fix\)/);
  } finally {
    await cluster.stop();
    await dst.stop();
  }
});
