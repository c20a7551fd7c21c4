// Issue 18: in a cluster, functions are loaded on each master, so each master's stream brings its own FUNCTION LOAD
// of the library. They are applied idempotently (same body: once; a different body: the newest wins, with a
// warning naming the library), every destination master gets the library, and deleting it everywhere works too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { sideSpec, caughtUpAll, assertSidesConsistent } from '../harness/topology';

const library = (value: string): string =>
  `#!lua name=ordlib\nredis.register_function('ordset', function(keys, args) return redis.call('SET', keys[1], '${value}' .. args[1]) end)`;

/** The code of ordlib on a server, or null. */
async function libraryCode(c: { call(...args: string[]): Promise<unknown> }): Promise<string | null> {
  const list = (await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'ordlib', 'WITHCODE')) as unknown[][];
  const lib = list.find((l) => l[1] === 'ordlib');
  return lib ? String(lib[lib.indexOf('library_code') + 1]) : null;
}

function logText(d: Daemon, name: string): string {
  const dir = join(d.stateDir, name);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

test('cluster -> cluster: a library loaded on every source master, then changed on one, reaches every destination master', async () => {
  const src = await startCluster({ masters: 3 });
  const dst = await startCluster({ masters: 3 });
  let d: Daemon | null = null;
  try {
    const s = sideSpec('functions-c2c', src, dst);
    // One master has it before the task starts: its snapshot brings it.
    await src.masters[0].client().call('FUNCTION', 'LOAD', library('a:'));
    d = startDaemon(s);
    await d.waitForState('Synchronizing', 60_000);
    for (const m of src.masters.slice(1)) await m.client().call('FUNCTION', 'LOAD', library('a:'));
    await caughtUpAll(d, src);
    await src.masters[1].client().call('FUNCTION', 'LOAD', 'REPLACE', library('b:'));
    const cluster = src.client();
    for (let i = 0; i < 100; i++) await cluster.call('FCALL', 'ordset', '1', `fk:${i}`, String(i));
    await caughtUpAll(d, src);
    assert.equal(d.status()?.state, 'Synchronizing');
    for (const m of dst.masters) assert.equal(await libraryCode(m.client()), library('b:'), `library on destination master ${m.addr}`);
    assert.match(logText(d, s.name), /function library 'ordlib' from \S+ differs/, 'a warning names the library whose bodies differ');
    await assertSidesConsistent(s, 100);
    // Deleted on every source master: deleted once on the destination, the other deletes find nothing to do.
    for (const m of src.masters) await m.client().call('FUNCTION', 'DELETE', 'ordlib');
    await caughtUpAll(d, src);
    assert.equal(d.status()?.state, 'Synchronizing');
    for (const m of dst.masters) assert.equal(await libraryCode(m.client()), null, `library left on destination master ${m.addr}`);
  } finally {
    await d?.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
