// tuning.niceness: once synchronizing, the sync worker runs at that niceness (what lets a source on the same host keep
// the CPU), 10 by default; with 0 it keeps the niceness it was started with. The full sync before runs at the latter.
// Either way the writes arrive exactly once: counters and lists written after the full sync are checked, then verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startRedis, type RedisServer } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { taskSpec, caughtUp, assertConsistent } from '../harness/sync';
import type { TaskSpec } from '../../provider/spec/types';

/** Field 19 of /proc/<pid>/stat (after the command name in parentheses): the process's niceness. */
function nicenessOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
}

/** 300 INCRs and RPUSHes of a sequence after the full sync: each must arrive once, in order. */
async function writesArriveOnce(d: Daemon, spec: TaskSpec, src: RedisServer, dst: RedisServer): Promise<void> {
  const p = src.client().pipeline();
  for (let i = 0; i < 300; i++) p.incr('counter').rpush('seq', String(i));
  await p.exec();
  await caughtUp(d, src);
  assert.equal(await dst.client().get('counter'), '300');
  assert.deepEqual(await dst.client().lrange('seq', 0, -1), Array.from({ length: 300 }, (_, i) => String(i)));
  await assertConsistent(spec, 3);
}

test('tuning.niceness: the synchronizing worker runs at 10 by default, at its own with 0', { timeout: 90_000 }, async () => {
  const src = await startRedis();
  const dsts = [await startRedis(), await startRedis()];
  try {
    await src.client().set('k', 'v');
    const specs: Array<[TaskSpec, number]> = [
      [taskSpec('niceness', src, dsts[0]), 10],
      [{ ...taskSpec('niceness-zero', src, dsts[1]), tuning: { niceness: 0 } }, nicenessOf(process.pid)],
    ];
    for (const [i, [spec, expected]] of specs.entries()) {
      await src.client().del('counter', 'seq');
      const d = startDaemon(spec, { args: ['--skip-prechecks'] });
      try {
        await d.waitForState('Synchronizing', 30_000);
        assert.equal(nicenessOf(d.child.pid!), expected, `${spec.name}: niceness once synchronizing`);
        await writesArriveOnce(d, spec, src, dsts[i]);
      } finally {
        await d.kill('SIGTERM');
      }
    }
  } finally {
    await Promise.all([src.stop(), ...dsts.map((d) => d.stop())]);
  }
});
