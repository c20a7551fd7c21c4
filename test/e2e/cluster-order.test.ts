// Issue 18, standalone -> cluster (3 masters): commands of one source stream that touch one slot reach the
// destination in source order, on every path through the daemon. Consumer-group sequences do not fail with NOGROUP;
// the destination master's MONITOR shows the source's 10,000 commands exactly; commands the filter rewrites (MOVE
// into DEL, RESTORE with REPLACE) go to their key's master only, in order. The tests share one task, disjoint keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import type Redis from 'ioredis';
import { startRedis, startCluster, type RedisServer, type RedisCluster } from '../harness/redis';
import { startDaemon, type Daemon } from '../harness/daemon';
import { sideSpec, caughtUpAll, assertSidesConsistent } from '../harness/topology';
import { oneSlotCommands, keyOf } from '../harness/one-slot-load';
import { groupIteration, GROUP_ITERATIONS } from '../harness/stream-groups';
import type { TaskSpec } from '../../provider/spec/types';

const COMMANDS = 10_000;
const KEYS = 20;

let src: RedisServer;
let dst: RedisCluster;
let spec: TaskSpec;
let d: Daemon;
let c: Redis;

before(async () => {
  src = await startRedis();
  dst = await startCluster({ masters: 3 });
  spec = sideSpec('one-slot-order', src, dst, { databases: [0] });
  d = startDaemon(spec);
  c = src.client().duplicate();
  await d.waitForState('Synchronizing', 60_000);
});

after(async () => {
  c?.disconnect();
  await d?.kill('SIGTERM');
  await Promise.all([src?.stop(), dst?.stop()]);
});

test('stream group commands keep their order: 200 iterations of XADD, XGROUP CREATE, XGROUP SETID, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM', async () => {
  for (let n = 1; n <= GROUP_ITERATIONS; n++) await groupIteration(c, n);
  await caughtUpAll(d, src);
  assert.equal(d.status()?.state, 'Synchronizing', `task state: ${JSON.stringify(d.status()?.lastError)}`);
  await assertSidesConsistent(spec, GROUP_ITERATIONS);
});

test('10,000 mixed commands on 20 keys of one slot, from one source connection, arrive in exactly the source order', async () => {
  const slots = (await dst.masters[0].client().call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const slot = calculateSlot('{ord}');
  const owner = dst.masters.find((m) => m.port === slots.find(([a, b]) => slot >= a && slot <= b)![2][1])!;
  const monitor = await owner.client().monitor();
  try {
    const seen: string[][] = [];
    const keys = new Set(Array.from({ length: KEYS }, (_, i) => `{ord}:${i}`));
    monitor.on('monitor', (_time: string, args: string[]) => { if (args.length >= 2 && keys.has(keyOf(args))) seen.push(args); });
    const commands = oneSlotCommands(COMMANDS, KEYS, 'ord', 18);
    for (let i = 0; i < commands.length; i += 500) {
      const p = c.pipeline();
      for (const argv of commands.slice(i, i + 500)) p.call(argv[0], ...argv.slice(1));
      const failed = (await p.exec())?.find(([err]) => err);
      assert.equal(failed, undefined, `the source refused a generated command: ${failed?.[0]?.message}`);
    }
    await caughtUpAll(d, src);
    for (let i = 0; i < 100 && seen.length < commands.length; i++) await new Promise((r) => setTimeout(r, 20));
    const first = commands.findIndex((argv, i) => argv.join(' ') !== seen[i]?.join(' '));
    assert.equal(first, -1, `order differs at ${first}: source ${commands[first]?.join(' ')}, destination ${seen[first]?.join(' ')}`);
    assert.equal(seen.length, commands.length, 'every command reached the slot\'s master once');
    assert.equal(d.status()?.state, 'Synchronizing');
    await assertSidesConsistent(spec, KEYS / 2);
  } finally {
    monitor.disconnect();
  }
});

test('commands the filter rewrites are routed by their own key: MOVE out of the synchronized db, RESTORE', async () => {
  await c.set('dumped', 'value');
  const payload = await c.dumpBuffer('dumped');
  for (let i = 0; i < 50; i++) {
    // MOVE into unsynchronized db 1 becomes DEL; the RESTORE gets REPLACE; each must run once, before what follows.
    const p = c.pipeline();
    p.set(`mv:${i}`, 'old');
    p.move(`mv:${i}`, 1);
    p.set(`mv:${i}`, 'new');
    p.call('RESTORE', `rs:${i}`, '0', payload);
    p.del(`rs:${i}`);
    p.call('RESTORE', `rs2:${i}`, '0', payload);
    p.rpush(`after:${i}`, 'x');
    await p.exec();
  }
  await caughtUpAll(d, src);
  const cluster = dst.client();
  assert.equal(await cluster.get('mv:7'), 'new');
  assert.equal(await cluster.exists('rs:7'), 0);
  assert.equal(d.status()?.state, 'Synchronizing');
  await assertSidesConsistent(spec, 100);
});
