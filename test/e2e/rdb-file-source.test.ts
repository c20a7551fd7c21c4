// An RDB file as the source (source.rdbFile), end to end with real servers: a fixture loaded into a destination
// through a key filter and renames, verify against the file; a kill -9 in the middle of a load resumed from the
// checkpointed position to exact contents; a file followed by the stream of the server it was saved from (INCR
// counters exact); a server that cannot continue from the file refused; a truncated and a damaged file named with
// the byte offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon, removeDir, type Daemon } from '../harness/daemon';
import { fillEveryType } from '../harness/dataset';
import { caughtUp, assertConsistent } from '../harness/sync';
import { verifyTask } from '../../provider/verify/verify-task';
import { fixturesDir } from '../rdb/util';
import type { TaskSpec } from '../../provider/spec/types';

// Checkpoints of the load's position every 100 ms, so a kill -9 in a load of a few seconds finds some.
process.env.REDIS_SYNC_FILE_CHECKPOINT_MS = '100';

const ENCODINGS = join(fixturesDir(), 'redis', 'encodings.rdb');

function fileSpec(name: string, file: string, dst: RedisServer, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { name, source: { rdbFile: file }, destination: { mode: 'standalone', nodes: [dst.addr] }, ...extra };
}

async function cleanup(d: Daemon): Promise<void> {
  await d.kill('SIGTERM');
  removeDir(dirname(d.specPath));
}

/** The destination's data keys (redis-sync's own left out). */
async function dataKeys(s: RedisServer): Promise<string[]> {
  return (await s.client().keys('*')).filter((k) => !k.startsWith('redis-sync:')).sort();
}

/** Saves the server's dataset and copies its dump.rdb into a temporary directory. */
async function dumpOf(s: RedisServer): Promise<string> {
  await s.client().call('SAVE');
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-rdbfile-'));
  const path = join(dir, 'dump.rdb');
  copyFileSync(join(s.dir, 'dump.rdb'), path);
  return path;
}

async function checkpointOf(dst: RedisServer, task: string): Promise<string | null> {
  return dst.client().get(`redis-sync:checkpoint:${task}:standalone`);
}

test('a fixture RDB through a key filter and renames: the task ends Loaded, verify against the file is consistent and catches a change', async () => {
  const dst = await startRedis();
  try {
    const spec = fileSpec('rdbfile-fixture', ENCODINGS, dst, {
      keyFilter: { exclude: [{ glob: '*_zipped*' }] },
      keyRenames: [{ from: 'hash', to: 'renamed:hash' }],
    });
    const d = startDaemon(spec);
    try {
      const st = await d.waitForState('Loaded', 30_000);
      assert.equal(await d.exited(), 0);
      const expected = JSON.parse(readFileSync(`${ENCODINGS}.expected.json`, 'utf8')) as { databases: Record<string, Array<{ key: string }>> };
      const kept = expected.databases['0'].map((r) => r.key).filter((k) => !k.includes('_zipped')).map((k) => (k.startsWith('hash') ? `renamed:${k}` : k)).sort();
      assert.deepEqual(await dataKeys(dst), kept);
      assert.equal(st.nodes[0].fullSync.keysDone, kept.length);
      assert.equal(st.nodes[0].fullSync.bytesDone, st.nodes[0].fullSync.bytesTotal);
      assert.equal(await assertConsistent(spec, kept.length), kept.length);
      await dst.client().rpush('list', 'one more');
      await dst.client().set('stray', '1');
      const report = await verifyTask(spec);
      assert.equal(report.consistent, false);
      assert.equal(report.valueMismatches, 1);
      assert.equal(report.extraOnDestination, 1);
      // A second run finds the file's end as the checkpoint: nothing to do.
      const again = startDaemon(spec);
      await again.waitForState('Loaded', 30_000);
      assert.match(readFileSync(join(again.stateDir, spec.name, 'daemon.log'), 'utf8'), /loaded already/);
      await cleanup(again);
    } finally {
      await cleanup(d);
    }
  } finally {
    await dst.stop();
  }
});

test('kill -9 in the middle of a load: the restart resumes after the checkpointed position and ends with exactly the file', { timeout: 240_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  let file = '';
  try {
    const c = src.client();
    await c.call('DEBUG', 'POPULATE', '200000', 'k', '64');
    for (let i = 0; i < 2000; i++) {
      const p = c.pipeline();
      p.rpush(`list:${i}`, ...Array.from({ length: 20 }, (_, j) => `e${j}`));
      p.hset(`hash:${i}`, 'a', String(i), 'b', 'x'.repeat(i % 100));
      p.set(`ttl:${i}`, String(i), 'EX', 10_000);
      await p.exec();
    }
    const total = await c.dbsize();
    file = await dumpOf(src);
    // Small pipelines make the load last a few seconds on any machine.
    const spec = fileSpec('rdbfile-kill', file, dst, { tuning: { pipelineCommands: 16 } });
    const first = startDaemon(spec);
    let killedAt = 0;
    try {
      const st = await first.waitFor((s) => s.nodes[0]?.fullSync.keysDone > total / 3, 120_000, 'a third of the keys');
      killedAt = st.nodes[0].fullSync.keysDone;
      first.child.kill('SIGKILL');
      await first.exited();
    } finally {
      removeDir(dirname(first.specPath));
    }
    assert.ok(killedAt < total, `killed before the end (${killedAt} of ${total})`);
    const cp = await checkpointOf(dst, spec.name);
    assert.match(cp ?? '', /^rdb-file [0-9a-f]{16} [1-9]\d* [0-9a-f]+$/, 'a position was checkpointed');
    const second = startDaemon(spec);
    try {
      const st = await second.waitForState('Loaded', 180_000);
      const log = readFileSync(join(second.stateDir, spec.name, 'daemon.log'), 'utf8');
      assert.match(log, /resuming the load of the RDB file after byte offset [1-9]/);
      assert.equal(st.nodes[0].fullSync.keysDone, total, 'every key counted once (skipped ones included)');
      assert.equal((await dataKeys(dst)).length, total, 'nothing lost, nothing extra');
      await assertConsistent(spec, total);
      assert.equal(await dst.client().llen('list:1999'), 20, 'a list written once');
      const pttl = await dst.client().pttl('ttl:7');
      assert.ok(pttl > 9_000_000 && pttl <= 10_000_000, `TTL kept (${pttl})`);
    } finally {
      await cleanup(second);
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
    if (file) removeDir(dirname(file));
  }
});

test('a dump followed by its server\'s stream: INCR counters written after the dump arrive exactly once', { timeout: 180_000 }, async () => {
  const src = await startRedis({ config: { 'repl-backlog-size': '64mb' } });
  const replica = await startRedis();
  const dst = await startRedis();
  let file = '';
  try {
    // A master saves its replication id and offset in the dump only while it has a backlog: a replica makes one.
    await replica.client().call('REPLICAOF', src.host, String(src.port));
    const c = src.client();
    for (let i = 0; i < 200 && !/master_link_status:up/.test(await replica.client().info('replication')); i++) await sleep(50);
    await fillEveryType(c, 0, 'a:');
    await fillEveryType(c, 3, 'b:');
    await c.select(0);
    for (let i = 0; i < 500; i++) await c.incr(`counter:${i % 10}`);
    file = await dumpOf(src);
    // Written after the dump: only the stream brings these, in db 3 (the stream's db at the dump is 0).
    const load = c.duplicate();
    await load.select(3);
    let incrs = 0;
    for (let i = 0; i < 3000; i++, incrs++) await load.incr(`counter:${i % 10}`);
    const spec: TaskSpec = { name: 'rdbfile-stream', source: { rdbFile: file, mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] }, heartbeat: { intervalMs: 100 } };
    const d = startDaemon(spec);
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      // The stream continued (+CONTINUE) after the file's load, whose progress the status keeps.
      assert.equal(st.nodes[0].lastSync, 'continue');
      assert.equal(st.nodes[0].node, src.addr);
      assert.ok(st.nodes[0].fullSync.finishedAt && st.nodes[0].fullSync.keysDone === st.nodes[0].fullSync.keysExpected, JSON.stringify(st.nodes[0].fullSync));
      for (let i = 0; i < 1000; i++, incrs++) await load.incr(`counter:${i % 10}`);
      await caughtUp(d, src);
      await load.select(0);
      await load.incr('counter:0');
      await caughtUp(d, src);
      const log = readFileSync(join(d.stateDir, spec.name, 'daemon.log'), 'utf8');
      assert.match(log, /\+CONTINUE: partial resync/);
      assert.doesNotMatch(log, /\+FULLRESYNC/);
      const dc = dst.client().duplicate();
      for (let i = 0; i < 10; i++) {
        assert.equal(await dc.get(`counter:${i}`), String(50 + (i === 0 ? 1 : 0)), `db 0 counter:${i}`);
      }
      await dc.select(3);
      for (let i = 0; i < 10; i++) assert.equal(await dc.get(`counter:${i}`), String(incrs / 10), `db 3 counter:${i}`);
      dc.disconnect();
      await assertConsistent(spec, 40);
    } finally {
      load.disconnect();
      await cleanup(d);
    }
  } finally {
    await Promise.all([src.stop(), replica.stop(), dst.stop()]);
    if (file) removeDir(dirname(file));
  }
});

test('a server that cannot continue from the file: the precheck says why, and at run time +FULLRESYNC fails the task', { timeout: 120_000 }, async () => {
  const other = await startRedis();
  const src = await startRedis();
  const dst = await startRedis();
  let file = '';
  try {
    await other.client().set('from-other', '1');
    file = await dumpOf(other);
    const spec: TaskSpec = { name: 'rdbfile-refused', source: { rdbFile: file, mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] } };
    const pre = startDaemon(spec);
    assert.equal(await pre.exited(), 1);
    // A master without a replication backlog saves no repl-id/repl-offset: no server can continue from its dump.
    assert.match(pre.output(), /FAILED +source-rdb-file-stream +RDB file .*dump\.rdb has no repl-id\/repl-offset: Redis saves them only while it has a replication backlog/);
    removeDir(dirname(pre.specPath));
    const d = startDaemon(spec, { args: ['--skip-prechecks'] });
    try {
      const st = await d.waitForState('Failed', 60_000);
      assert.match(st.lastError?.message ?? '', /answered \+FULLRESYNC .* cannot continue from the RDB file .*nothing of the server's snapshot was written/);
      assert.deepEqual(await dataKeys(dst), ['from-other']);
    } finally {
      await cleanup(d);
    }
  } finally {
    await Promise.all([other.stop(), src.stop(), dst.stop()]);
    if (file) removeDir(dirname(file));
  }
});

test('a truncated and a damaged file: the error names the file, the byte offset and what to do', async () => {
  const dst = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-rdbfile-'));
  try {
    const bytes = readFileSync(ENCODINGS);
    const truncated = join(dir, 'truncated.rdb');
    writeFileSync(truncated, bytes.subarray(0, 600));
    const damaged = join(dir, 'damaged.rdb');
    const bad = Buffer.from(bytes);
    bad[300] ^= 0xff;
    writeFileSync(damaged, bad);
    const pre = startDaemon(fileSpec('rdbfile-truncated', truncated, dst));
    assert.equal(await pre.exited(), 1);
    assert.match(pre.output(), /FAILED +source-rdb-file +RDB file .*truncated\.rdb: RDB parse error at byte offset \d+ .*the file is truncated.*Copy it again/);
    removeDir(dirname(pre.specPath));
    const d = startDaemon(fileSpec('rdbfile-damaged', damaged, dst), { args: ['--skip-prechecks'] });
    try {
      const st = await d.waitForState('Failed', 30_000);
      assert.match(st.lastError?.message ?? '', /RDB file .*damaged\.rdb: RDB parse error at byte offset \d+.*(not a valid RDB|CRC-64).*Restore another copy/);
      assert.equal(await d.exited(), 1);
    } finally {
      await cleanup(d);
    }
  } finally {
    await dst.stop();
    removeDir(dir);
  }
});
