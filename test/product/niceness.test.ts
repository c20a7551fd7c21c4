// tuning.niceness: once synchronizing, the sync worker runs at that niceness (what lets a source on the same host keep
// the CPU), 10 by default; with 0 it keeps the niceness it was started with. The full sync before runs at the latter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startRedis } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { taskSpec } from '../harness/sync';

/** Field 19 of /proc/<pid>/stat (after the command name in parentheses): the process's niceness. */
function nicenessOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
}

test('tuning.niceness: the synchronizing worker runs at 10 by default, at its own with 0', { timeout: 60_000 }, async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const niced = startDaemon(taskSpec('niceness', src, dst), { args: ['--skip-prechecks'] });
  try {
    await src.client().set('k', 'v');
    await niced.waitForState('Synchronizing', 30_000);
    assert.equal(nicenessOf(niced.child.pid!), 10, 'the default');
    assert.equal(await dst.client().get('k'), 'v');
  } finally {
    await niced.kill('SIGTERM');
  }
  const dst2 = await startRedis();
  const plain = startDaemon({ ...taskSpec('niceness-zero', src, dst2), tuning: { niceness: 0 } }, { args: ['--skip-prechecks'] });
  try {
    await plain.waitForState('Synchronizing', 30_000);
    assert.equal(nicenessOf(plain.child.pid!), nicenessOf(process.pid));
  } finally {
    await plain.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop(), dst2.stop()]);
  }
});
