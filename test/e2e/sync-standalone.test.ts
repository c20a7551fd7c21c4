// The sync engine end to end, standalone to standalone: real redis-servers, the real `redis-sync run` process, and
// verify as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import { taskSpec, masterOffset, caughtUp, assertConsistent } from '../harness/sync';

const spec = taskSpec;

async function withServers(opts: { source?: Record<string, string>; password?: string }, fn: (src: RedisServer, dst: RedisServer) => Promise<void>): Promise<void> {
  const src = await startRedis({ config: opts.source, password: opts.password });
  const dst = await startRedis({ password: opts.password });
  try {
    await fn(src, dst);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

test('full sync of every type in several dbs, then incremental sync under a mixed write load', async () => {
  await withServers({ source: { 'repl-diskless-sync': 'no' }, password: 'src-secret-pw' }, async (src, dst) => {
    for (const db of [0, 1, 3]) await fillEveryType(src.client(), db);
    const s = spec('full-incr', src, dst);
    const d = startDaemon(s);
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      assert.equal(st.nodes[0].lastSync, 'full');
      assert.ok(st.nodes[0].fullSync.keysDone >= 60, `keys copied: ${st.nodes[0].fullSync.keysDone}`);
      const load = src.client().duplicate();
      const sent = await runMixedLoad(load, { dbs: [0, 1, 3], durationMs: 8000, maxCommands: 30_000, seed: 7 });
      load.disconnect();
      assert.ok(sent > 1000, `load sent only ${sent} commands`);
      await caughtUp(d, src);
      const lagged = await d.waitFor((x) => x.nodes[0].lagMs !== null, 10_000, 'a lag measurement');
      assert.ok(lagged.nodes[0].lagMs! < 5000, `lag ${lagged.nodes[0].lagMs} ms`);
      await assertConsistent(s);
      // The status and the log never carry the password.
      const statusText = readFileSync(`${d.stateDir}/full-incr/status.json`, 'utf8');
      const logText = readFileSync(`${d.stateDir}/full-incr/daemon.log`, 'utf8');
      assert.ok(!statusText.includes('src-secret-pw') && !logText.includes('src-secret-pw'), 'password leaked into status or log');
      assert.ok(!d.output().includes('src-secret-pw'));
    } finally {
      await d.kill('SIGTERM');
    }
    assert.equal(d.status()?.state, 'Stopped');
  });
});

test('databases: [1] copies only db 1; a diskless source works', async () => {
  await withServers({ source: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } }, async (src, dst) => {
    await fillEveryType(src.client(), 0);
    await fillEveryType(src.client(), 1);
    const s = spec('only-db1', src, dst, { databases: [1] });
    const d = startDaemon(s);
    try {
      await d.waitForState('Synchronizing', 60_000);
      const c = src.client();
      await c.select(0);
      await c.set('db0-later', '1');
      await c.select(1);
      await c.set('db1-later', '1');
      await caughtUp(d, src);
      await assertConsistent(s);
      const dc = dst.client();
      await dc.select(1);
      assert.equal(await dc.get('db1-later'), '1');
      await dc.select(0);
      assert.deepEqual((await dc.keys('*')).filter((k) => !k.startsWith('redis-sync:')), [], 'db 0 must not be copied');
    } finally {
      await d.kill('SIGTERM');
    }
  });
});

test('kill -9 during incremental sync: the restart continues with +CONTINUE and nothing is applied twice', async () => {
  await withServers({ source: { 'repl-backlog-size': '64mb' } }, async (src, dst) => {
    await fillEveryType(src.client(), 0);
    const s = spec('kill9', src, dst);
    let d = startDaemon(s);
    const stateDir = d.stateDir;
    try {
      await d.waitForState('Synchronizing', 60_000);
      const load = src.client().duplicate();
      const loading = runMixedLoad(load, { dbs: [0], durationMs: 6000, maxCommands: 40_000, seed: 11 });
      await sleep(1500);
      await d.kill('SIGKILL');
      await sleep(500);
      d = startDaemon(s, { stateDir });
      await loading;
      load.disconnect();
      const st = await d.waitForState('Synchronizing', 60_000);
      assert.equal(st.nodes[0].lastSync, 'continue', 'the restart must resume with +CONTINUE, not a full sync');
      await caughtUp(d, src);
      await assertConsistent(s); // INCR, RPUSH and APPEND in the load would show any replay
      assert.match(readFileSync(`${stateDir}/kill9/daemon.log`, 'utf8'), /\+CONTINUE/);
    } finally {
      await d.kill('SIGTERM');
    }
  });
});

test('a backlog overrun while the daemon is down gives a full sync with no duplicate list elements', async () => {
  await withServers({ source: { 'repl-backlog-size': '16kb' } }, async (src, dst) => {
    const c = src.client();
    await c.rpush('list', 'a', 'b', 'c');
    const s = spec('overrun', src, dst);
    let d = startDaemon(s);
    const stateDir = d.stateDir;
    try {
      await d.waitForState('Synchronizing', 60_000);
      await c.set('doomed', 'x');
      await caughtUp(d, src);
      await d.kill('SIGKILL');
      await c.rpush('list', 'd');
      await c.del('doomed');
      for (let i = 0; i < 20; i++) await c.set(`filler:${i}`, 'f'.repeat(4096)); // 80 KiB > backlog
      d = startDaemon(s, { stateDir });
      const st = await d.waitFor((x) => x.state === 'Synchronizing' && x.nodes[0].lastSync === 'full', 60_000, 'a second full sync');
      assert.equal(st.nodes[0].lastSync, 'full');
      await caughtUp(d, src);
      assert.deepEqual(await dst.client().lrange('list', 0, -1), ['a', 'b', 'c', 'd']);
      assert.equal(await dst.client().exists('doomed'), 0, 'a key deleted on the source while the task was down must not survive');
      await assertConsistent(s);
    } finally {
      await d.kill('SIGTERM');
    }
  });
});

test('a destination error stops the task in Failed with the command and offset; nothing after it is acknowledged, and the fixed task resumes and converges', async () => {
  await withServers({}, async (src, dst) => {
    await src.client().set('k', 'v');
    // No heartbeat: the only writes in the stream are the test's, so offsets around the APPEND are exact.
    const s = spec('dest-error', src, dst, { heartbeat: { enabled: false } });
    let d = startDaemon(s);
    const stateDir = d.stateDir;
    try {
      await d.waitForState('Synchronizing', 60_000);
      await dst.client().rpush('wrongtype', 'x'); // the destination diverges behind the task's back
      await src.client().append('wrongtype', 'z');
      // The APPEND ends at or before this offset (a heartbeat may follow it): a checkpoint below it excludes the APPEND.
      const afterAppend = await masterOffset(src);
      const st = await d.waitForState('Failed', 20_000);
      await src.client().incr('wrongtype-after'); // written while the task is down
      assert.match(st.lastError?.message ?? '', /WRONGTYPE/);
      assert.match(st.lastError?.command ?? '', /APPEND.*wrongtype/i, 'the error names the command that failed inside the batch');
      const cp = JSON.parse(readFileSync(`${stateDir}/dest-error/checkpoint.json`, 'utf8')) as { nodes: Record<string, { offset: number }> };
      assert.ok(cp.nodes.standalone.offset < afterAppend - 20, `the local checkpoint must not include the failed command (${cp.nodes.standalone.offset} vs ${afterAppend})`);
      const remote = String(await dst.client().get('redis-sync:checkpoint:dest-error:standalone'));
      assert.ok(Number(remote.split(' ')[1]) < afterAppend - 20, `the destination checkpoint must not include the failed command: ${remote} vs ${afterAppend}`);
      assert.equal(await d.exited(), 1);
      // The user fixes the destination and starts the task again: the failed APPEND is applied, nothing is lost.
      await dst.client().del('wrongtype');
      d = startDaemon(s, { stateDir });
      const again = await d.waitForState('Synchronizing', 60_000);
      assert.equal(again.nodes[0].lastSync, 'continue');
      await caughtUp(d, src);
      assert.equal(await dst.client().get('wrongtype'), 'z');
      assert.equal(await dst.client().get('wrongtype-after'), '1');
      await assertConsistent(s);
    } finally {
      await d.kill('SIGKILL');
    }
  });
});
