import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { startCluster, startRedis, type RedisCluster } from '../harness/redis';
import { encodeCommand } from '../../provider/resp/encode';
import { ClusterWriter } from '../../provider/writer/cluster-writer';
import { keyEntryCommands } from '../../provider/writer/key-commands';
import { verify } from '../../provider/verify/verify';
import { WriteError } from '../../provider/writer/write-error';
import { populateAllTypes, entryFromServer, within } from './fixtures';

async function nodeId(c: RedisCluster, i: number): Promise<string> {
  return String(await c.masters[i].client().cluster('MYID'));
}

async function ownerIndex(c: RedisCluster, key: string): Promise<number> {
  const slot = calculateSlot(key);
  const slots = (await c.masters[0].client().call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const range = slots.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} has no owner`);
  return c.masters.findIndex((m) => m.port === range[2][1]);
}

test('cluster writer routes by slot, reports applied offsets across masters, and reproduces a dataset', async () => {
  const src = await startRedis();
  try {
    const c = await startCluster({ masters: 3 });
    try {
      const keys = await populateAllTypes(src.client());
      for (let i = 0; i < 500; i++) await src.client().set(`plain:${i}`, `v${i}`);
      const w = await ClusterWriter.open({ mode: 'cluster', nodes: [c.nodes[0]] });
      const applied: number[] = [];
      w.on('applied', (o) => applied.push(o));
      let offset = 0;
      for (const k of [...keys, ...Array.from({ length: 500 }, (_, i) => `plain:${i}`)]) {
        const key = Buffer.from(k, 'latin1');
        for (const cmd of keyEntryCommands(await entryFromServer(src.client(), 0, key), { sourceRdbVersion: 10, destinationRdbVersion: 10 })) {
          if (!w.write(0, key, cmd, ++offset)) await within(new Promise<void>((r) => w.once('drain', r)), 10_000, 'drain');
        }
      }
      await within(w.flush(), 20_000, 'flush');
      assert.equal(applied[applied.length - 1], offset);
      for (let i = 1; i < applied.length; i++) assert.ok(applied[i] > applied[i - 1]);
      assert.throws(() => w.write(1, Buffer.from('x'), encodeCommand(['SET', 'x', '1'])), /db 0 only/);
      await w.close();
      const r = await verify({ mode: 'standalone', nodes: [src.addr] }, { mode: 'cluster', nodes: [c.nodes[2]] });
      assert.deepEqual(r.firstMismatches, []);
      assert.equal(r.keysCompared, keys.length + 500);
    } finally {
      await c.stop();
    }
  } finally {
    await src.stop();
  }
});

test('MOVED and ASK replies re-send the command to the named master, in order', async () => {
  const c = await startCluster({ masters: 3 });
  try {
    const w = await ClusterWriter.open({ mode: 'cluster', nodes: [c.nodes[0]] });
    const applied: number[] = [];
    w.on('applied', (o) => applied.push(o));
    // MOVED: reassign the (empty) slot of "moved" to another master behind the writer's back.
    const movedSlot = calculateSlot('moved');
    const from = await ownerIndex(c, 'moved');
    const to = (from + 1) % 3;
    const toId = await nodeId(c, to);
    for (const m of c.masters) await m.client().call('CLUSTER', 'SETSLOT', movedSlot, 'NODE', toId);
    for (let i = 1; i <= 20; i++) w.write(0, Buffer.from('moved'), encodeCommand(['RPUSH', 'moved', i]), i);
    // ASK: "asked"'s slot is migrating to another master; the key is not on the old owner, so it answers ASK.
    const askSlot = calculateSlot('asked');
    const askFrom = await ownerIndex(c, 'asked');
    const askTo = (askFrom + 1) % 3;
    await c.masters[askTo].client().call('CLUSTER', 'SETSLOT', askSlot, 'IMPORTING', await nodeId(c, askFrom));
    await c.masters[askFrom].client().call('CLUSTER', 'SETSLOT', askSlot, 'MIGRATING', await nodeId(c, askTo));
    for (let i = 21; i <= 30; i++) w.write(0, Buffer.from('asked'), encodeCommand(['RPUSH', 'asked', i]), i);
    await within(w.flush(), 20_000, 'flush');
    assert.equal(applied[applied.length - 1], 30);
    assert.equal(w.redirects, 30, 'every write was redirected once (20 MOVED, 10 ASK)');
    assert.deepEqual(await c.masters[to].client().lrange('moved', 0, -1), Array.from({ length: 20 }, (_, i) => String(i + 1)));
    const askToId = await nodeId(c, askTo);
    for (const m of c.masters) await m.client().call('CLUSTER', 'SETSLOT', askSlot, 'NODE', askToId); // finish the migration
    assert.deepEqual(await c.masters[askTo].client().lrange('asked', 0, -1), Array.from({ length: 10 }, (_, i) => String(i + 21)));
    await w.close();
  } finally {
    await c.stop();
  }
});

test('an error reply on one master stops the cluster writer', async () => {
  const c = await startCluster({ masters: 3 });
  try {
    const w = await ClusterWriter.open({ mode: 'cluster', nodes: [c.nodes[0]] });
    w.write(0, Buffer.from('a'), encodeCommand(['SET', 'a', '1']), 1);
    w.write(0, Buffer.from('a'), encodeCommand(['LPUSH', 'a', 'x']), 2);
    const err = await within(w.flush().then(() => null, (e: unknown) => e), 10_000, 'flush');
    assert.ok(err instanceof WriteError);
    assert.equal(err.code, 'WRONGTYPE');
    assert.throws(() => w.write(0, Buffer.from('b'), encodeCommand(['SET', 'b', '1'])), WriteError);
    await w.close();
  } finally {
    await c.stop();
  }
});
