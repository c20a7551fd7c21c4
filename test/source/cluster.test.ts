// A cluster source runs one link per master: each link sees its master's writes, at its master's offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../harness/redis';
import { ReplicaConnection } from '../../provider/source/replica-connection';
import { Recorder, masterOffset } from './recorder';

test('one link per cluster master, each with its own stream and offsets', { timeout: 120_000 }, async () => {
  const cluster = await startCluster({ masters: 3, config: { 'repl-diskless-sync-delay': '0', 'repl-ping-replica-period': '3600' } });
  const links = cluster.masters.map((m) => {
    const rec = new Recorder();
    rec.onEach = (cmd) => conn.ack(cmd.offset);
    const conn = new ReplicaConnection({ node: { host: m.host, port: m.port }, handler: rec });
    return { master: m, rec, conn };
  });
  try {
    for (const l of links) l.conn.start();
    for (const l of links) await l.rec.until(`the RDB of ${l.master.addr}`, () => l.rec.rdbEnd !== null, 30_000);
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    for (const k of keys) await cluster.client().set(k, k);
    const seen = new Set<string>();
    for (const l of links) {
      const end = await masterOffset(l.master.client().info('replication'));
      await l.rec.until(`the writes on ${l.master.addr}`, () => l.conn.appliedOffset === end);
      const mine = l.rec.writes().filter((c) => c.argv[0].toLowerCase() === 'set').map((c) => c.argv[1]);
      for (const k of mine) {
        assert.ok(!seen.has(k), `${k} arrived on one link only`);
        seen.add(k);
        assert.equal(await l.master.client().exists(k), 1, `${k} lives on ${l.master.addr}`);
      }
    }
    assert.equal(seen.size, keys.length);
  } finally {
    for (const l of links) l.conn.close();
    await cluster.stop();
  }
});
