// keyFilter and keyRenames end to end: a snapshot and a mixed load with keys on both sides of the filter (multi-key
// commands across the boundary included) arrive as exactly the filtered, renamed source; verify with the same
// filter says consistent and catches a key outside it; a command that cannot be split fails the task by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { startRedis, startCluster, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { fillEveryType, prng } from '../harness/dataset';
import { taskSpec, caughtUp, assertConsistent } from '../harness/sync';
import { verifyTask } from '../../provider/verify/verify-task';
import type { TaskSpec } from '../../provider/spec/types';

const FILTER: Partial<TaskSpec> = {
  keyFilter: {
    include: [{ prefix: 'in:' }, { glob: 'db1:*', databases: [1] }],
    exclude: [{ regex: ':tmp\\d*$' }],
  },
  keyRenames: [{ from: 'in:r:', to: 'moved:' }],
};

/** Is this destination key allowed: the image of a synchronized source key (never out:, x:, :tmp, nor in:r:). */
function allowedOnDestination(db: number, key: string): boolean {
  if (key.startsWith('redis-sync:')) return true;
  if (/:tmp\d*$/.test(key)) return false;
  if (key.startsWith('in:r:')) return false; // always renamed
  return key.startsWith('in:') || key.startsWith('moved:') || (db === 1 && key.startsWith('db1:'));
}

/**
 * A bounded load over keys on both sides of the filter, with multi-key commands that straddle it. tagged: the keys
 * of one number share a hash tag (so one slot, renamed or not), for a cluster destination; dbs: where it writes.
 */
async function straddlingLoad(c: Redis, commands: number, seed: number, opts: { tagged?: boolean; dbs?: number[] } = {}): Promise<number> {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const side = (): string => pick(['in:', 'out:', 'in:r:', 'in:', 'in:r:']);
  let sent = 0;
  for (let round = 0; round < 10_000 && sent < commands; round++) {
    const p = c.pipeline();
    const db = pick(opts.dbs ?? [0, 0, 1]);
    p.select(db);
    for (let i = 0; i < 40; i++, sent++) {
      const n = Math.floor(rnd() * 40);
      const id = opts.tagged ? `{${n}}` : `:${n}`;
      const name = (prefix: string, t: string): string => `${prefix}${t}${id}`;
      const k = (t: string): string => name(side(), t);
      switch (Math.floor(rnd() * 18)) {
        case 0: p.set(k('s'), `v${sent}`); break;
        case 1: p.incr(k('c')); break;
        case 2: p.rpush(k('l'), `e${sent}`); break;
        case 3: p.sadd(k('set'), `m${sent % 7}`); break;
        case 4: p.hset(k('h'), `f${sent % 5}`, `v${sent}`); break;
        case 5: p.set(`in:a:tmp${n}`, 'never copied'); break;
        case 6: p.set(`${db === 1 ? 'db1' : 'x'}:s:${n}`, `v${sent}`); break;
        case 7: p.del(name('in:', 's'), name('out:', 's'), name('in:r:', 's')); break;
        case 8: p.unlink(name('out:', 'l'), name('in:', 'l')); break;
        case 9: p.mset(name('in:', 'm'), `v${sent}`, name('out:', 'm'), `w${sent}`, name('in:r:', 'm'), `x${sent}`); break;
        case 10: p.msetnx(name('in:', `nx${sent}`), '1', name('out:', `nx${sent}`), '2'); break;
        case 11: p.sunionstore(name('out:', 'u'), name('in:', 'set'), name('in:r:', 'set')); break;
        case 12: p.sunionstore(name('in:', 'u'), name('in:', 'set'), name('in:r:', 'set')); break;
        case 13: p.rename(name('in:', 's'), name(pick(['out:', 'in:r:', 'in:']), pick(['s', 's2']))); break; // may fail (no such key): pipeline errors are returned, not thrown
        case 14: p.smove(name('in:', 'set'), name('out:', 'set'), `m${sent % 7}`); break;
        case 15: p.call('LMOVE', name('in:', 'l'), name('out:', 'l'), pick(['LEFT', 'RIGHT']), 'LEFT'); break;
        case 16: p.copy(name('in:', 'h'), name('out:', 'h2'), 'REPLACE'); break;
        default: p.call('MULTI'); p.incr(name('in:', 'c')); p.incr(name('out:', 'c')); p.del(name('in:r:', 'c'), name('out:', 'c')); p.call('EXEC'); break;
      }
    }
    await p.exec();
  }
  return sent;
}

async function destinationKeys(dst: RedisServer, db: number): Promise<string[]> {
  const c = dst.client().duplicate();
  try {
    await c.select(db);
    return await c.keys('*');
  } finally {
    c.disconnect();
  }
}

test('a snapshot and a straddling mixed load arrive as exactly the filtered, renamed source; verify holds to the filter', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const c = src.client();
    for (const prefix of ['in:', 'out:', 'in:r:']) await fillEveryType(c, 0, prefix);
    await c.mset('in:x:tmp', '1', 'in:y:tmp3', '2');
    for (const prefix of ['db1:', 'x:', 'in:']) await fillEveryType(c, 1, prefix);
    const s = taskSpec('key-filter', src, dst, FILTER);
    const d = startDaemon(s);
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      // in: and in:r: in db 0, db1: and in: in db 1: 21 keys each.
      assert.equal(st.nodes[0].fullSync.keysDone, 4 * 21);
      const load = c.duplicate();
      const sent = await straddlingLoad(load, 12_000, 11);
      load.disconnect();
      assert.ok(sent >= 12_000);
      await caughtUp(d, src);
      assert.equal(d.status()?.state, 'Synchronizing', 'no command was refused');
      const compared = await assertConsistent(s, 100);
      for (const db of [0, 1]) {
        const keys = await destinationKeys(dst, db);
        const wrong = keys.filter((k) => !allowedOnDestination(db, k));
        assert.deepEqual(wrong.slice(0, 10), [], `db ${db}: keys outside the filter on the destination`);
        if (db === 0) assert.ok(keys.some((k) => k.startsWith('moved:')) && keys.some((k) => k.startsWith('in:')), 'renamed and kept keys both arrived');
      }
      // Without the filter the same servers differ: the filter is what makes them agree.
      const unfiltered = await verifyTask({ ...s, keyFilter: undefined, keyRenames: undefined });
      assert.equal(unfiltered.consistent, false);
      // verify with the filter still catches a key that is outside it, and one left under its source name.
      await dst.client().set('out:stray', '1');
      await dst.client().set('in:r:stray', '1');
      const report = await verifyTask(s);
      assert.equal(report.consistent, false);
      const extra = report.firstMismatches.map((m) => `${m.key}: ${m.detail}`).join('\n');
      assert.match(extra, /out:stray: outside the task's keyFilter/);
      assert.match(extra, /in:r:stray: outside the task's keyFilter/);
      assert.ok(compared >= 100);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('a multi-key command that cannot be split fails the task with its name and offset; nothing after it is applied', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  try {
    const s = taskSpec('key-filter-refuse', src, dst, FILTER);
    const d = startDaemon(s);
    try {
      await d.waitForState('Synchronizing', 60_000);
      const c = src.client();
      await c.sadd('out:a', 'x');
      await c.sadd('in:b', 'y');
      await c.sunionstore('in:d', 'in:b', 'out:a');
      await c.set('in:after', '1');
      const st = await d.waitForState('Failed', 20_000);
      const err = JSON.stringify(st.lastError);
      assert.match(err, /SUNIONSTORE writes a synchronized key from keys that are not synchronized \(sunionstore in:d in:b out:a\)/);
      assert.match(err, /offset \d+/);
      assert.equal(await dst.client().exists('in:after'), 0);
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('into a cluster destination: the same filter and renames, keys routed by their new names', { timeout: 180_000 }, async () => {
  const src = await startRedis();
  const dst = await startCluster({ masters: 3 });
  try {
    const c = src.client();
    for (const prefix of ['in:', 'out:', 'in:r:']) await fillEveryType(c, 0, prefix);
    const s: TaskSpec = { ...taskSpec('key-filter-cluster', src, { addr: dst.nodes[0] }, { ...FILTER, databases: [0] }), destination: { mode: 'cluster', nodes: dst.nodes } };
    const d = startDaemon(s);
    try {
      await d.waitForState('Synchronizing', 60_000);
      const load = c.duplicate();
      await straddlingLoad(load, 6_000, 5, { tagged: true, dbs: [0] });
      load.disconnect();
      await caughtUp(d, src);
      assert.equal(d.status()?.state, 'Synchronizing', 'no command was refused');
      await assertConsistent(s, 50);
      const keys = (await Promise.all(dst.masters.map((m) => m.client().keys('*')))).flat();
      assert.deepEqual(keys.filter((k) => !allowedOnDestination(0, k)).slice(0, 10), []);
      assert.ok(keys.some((k) => k.startsWith('moved:')));
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
