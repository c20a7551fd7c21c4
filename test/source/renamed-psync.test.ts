// A source whose PSYNC was renamed (rename-command), as managed services do on request: source.psyncCommand names it,
// the prechecks ask for that name and the handshake sends it. Redis serves a renamed PSYNC as the old SYNC (no
// replication id, no offset, no +CONTINUE): the task copies, streams, and after a restart copies in full again,
// emptying what it wrote first. Without psyncCommand, or with a wrong name, the precheck and the task say what to set.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { runTask } from '../bad-input/cli';
import { taskSpec, caughtUp, assertConsistent } from '../harness/sync';
import { fillEveryType, runMixedLoad } from '../harness/dataset';
import type { TaskSpec } from '../../provider/spec/types';

const RENAMED = 'redis-sync-psync-7f3a';

function withPsync(spec: TaskSpec, name: string): TaskSpec {
  return { ...spec, source: { ...spec.source, psyncCommand: name } };
}

test('source.psyncCommand: prechecks, full sync and stream through a renamed PSYNC; a restart syncs in full again', { timeout: 120_000 }, async () => {
  const src = await startRedis({ config: { 'rename-command': `PSYNC ${RENAMED}`, 'repl-diskless-sync-delay': '0' } });
  const dst = await startRedis();
  try {
    await fillEveryType(src.client(), 0);
    const s = withPsync(taskSpec('renamed-psync', src, dst), RENAMED);
    const d = startDaemon(s);
    let stateDir = '';
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      stateDir = d.stateDir;
      assert.equal(st.nodes[0].lastSync, 'full');
      assert.ok(st.prechecks.some((p) => p.id === 'source-psync' && p.result === 'passed' && p.message.includes(RENAMED)), JSON.stringify(st.prechecks));
      const load = src.client().duplicate();
      await runMixedLoad(load, { dbs: [0], durationMs: 3000, maxCommands: 5000, seed: 3 });
      load.disconnect();
      await caughtUp(d, src);
    } finally {
      await d.kill('SIGTERM');
    }
    // Deleted while the task is stopped: the second full sync must not leave it on the destination.
    await src.client().set('while-stopped', '1');
    await src.client().del('str:raw');
    const again = startDaemon(s, { stateDir });
    try {
      const st = await again.waitForState('Synchronizing', 60_000);
      assert.equal(st.nodes[0].lastSync, 'full', 'served as SYNC: no partial resync');
      await src.client().del('load:s:1', 'load:s:2', 'load:c:1');
      await caughtUp(again, src);
      await assertConsistent(s, 20);
      assert.match(readFileSync(`${stateDir}/renamed-psync/daemon.log`, 'utf8'), /served redis-sync-psync-7f3a as SYNC/);
    } finally {
      await again.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a renamed PSYNC without source.psyncCommand, or with a wrong name: the precheck and the task say what to set', { timeout: 90_000 }, async () => {
  const src = await startRedis({ config: { 'rename-command': `PSYNC ${RENAMED}` } });
  const dst = await startRedis();
  try {
    const plain = taskSpec('renamed-plain', src, dst);
    const r = await runTask(plain);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`FAILED\\s+source-psync\\s+PSYNC is disabled or renamed on source ${src.addr} \\(rename-command\\): set source.psyncCommand`));
    const wrong = await runTask(withPsync(taskSpec('renamed-wrong', src, dst), 'not-the-name'));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`source ${src.addr} has no command "not-the-name" \\(source.psyncCommand\\)`));
    const run = await runTask(plain, ['--skip-prechecks'], 30_000);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /does not accept PSYNC .*set source\.psyncCommand to the name it was renamed to.*\(not retryable\)/);
    const destination = await runTask({ ...plain, destination: { ...plain.destination, psyncCommand: 'x' } });
    assert.equal(destination.code, 2);
    assert.match(destination.stderr, /destination\.psyncCommand: only the source is replicated from/);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
