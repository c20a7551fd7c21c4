// Issue 18, cluster (3 masters) -> cluster (3 masters), one task for both tests. Consumer-group sequences keep their
// order (no NOGROUP). Functions are loaded on each master, so each master's stream brings its own FUNCTION LOAD of a
// library: applied idempotently (same body: once; a different body: the newest wins, with a warning naming the
// library), every destination master gets it, and deleting it on every master works too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type RedisCluster } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { sideSpec, caughtUpAll, assertSidesConsistent } from '../harness/topology';
import { groupIteration, GROUP_ITERATIONS } from '../harness/stream-groups';
import type { TaskSpec } from '../../provider/spec/types';

const library = (value: string): string =>
  `#!lua name=ordlib\nredis.register_function('ordset', function(keys, args) return redis.call('SET', keys[1], '${value}' .. args[1]) end)`;

let src: RedisCluster;
let dst: RedisCluster;
let spec: TaskSpec;
let d: Daemon;

before(async () => {
  src = await startCluster({ masters: 3 });
  dst = await startCluster({ masters: 3 });
  spec = sideSpec('c2c-order', src, dst);
  // One master has the library before the task starts: its snapshot brings it.
  await src.masters[0].client().call('FUNCTION', 'LOAD', library('a:'));
  d = startDaemon(spec);
  await d.waitForState('Synchronizing', 60_000);
});

after(async () => {
  await d?.kill('SIGTERM');
  await Promise.all([src?.stop(), dst?.stop()]);
});

/** The code of ordlib on a server, or null. */
async function libraryCode(c: { call(...args: string[]): Promise<unknown> }): Promise<string | null> {
  const list = (await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'ordlib', 'WITHCODE')) as unknown[][];
  const lib = list.find((l) => l[1] === 'ordlib');
  return lib ? String(lib[lib.indexOf('library_code') + 1]) : null;
}

function logText(): string {
  const dir = join(d.stateDir, spec.name);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

test('stream group commands keep their order: 200 iterations of XADD, XGROUP CREATE, XGROUP SETID, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM', async () => {
  const c = src.client();
  for (let n = 1; n <= GROUP_ITERATIONS; n++) await groupIteration(c, n);
  await caughtUpAll(d, src);
  assert.equal(d.status()?.state, 'Synchronizing', `task state: ${JSON.stringify(d.status()?.lastError)}`);
  await assertSidesConsistent(spec, GROUP_ITERATIONS);
});

test('a library loaded on every source master, then changed on one, reaches every destination master', async () => {
  for (const m of src.masters.slice(1)) await m.client().call('FUNCTION', 'LOAD', library('a:'));
  await caughtUpAll(d, src);
  await src.masters[1].client().call('FUNCTION', 'LOAD', 'REPLACE', library('b:'));
  const cluster = src.client();
  for (let i = 0; i < 100; i++) await cluster.call('FCALL', 'ordset', '1', `fk:${i}`, String(i));
  await caughtUpAll(d, src);
  assert.equal(d.status()?.state, 'Synchronizing');
  for (const m of dst.masters) assert.equal(await libraryCode(m.client()), library('b:'), `library on destination master ${m.addr}`);
  assert.match(logText(), /function library 'ordlib' from \S+ differs/, 'a warning names the library whose bodies differ');
  await assertSidesConsistent(spec, 100);
  // Deleted on every source master: deleted once on the destination, the other deletes find nothing to do.
  for (const m of src.masters) await m.client().call('FUNCTION', 'DELETE', 'ordlib');
  await caughtUpAll(d, src);
  assert.equal(d.status()?.state, 'Synchronizing');
  for (const m of dst.masters) assert.equal(await libraryCode(m.client()), null, `library left on destination master ${m.addr}`);
});
