// A slot's commands keep their order on every path through the cluster writer: keyless commands (sent to every
// master) wait behind a slot's redirected commands, and an EVALSHA re-sent after ASK gets its SCRIPT LOAD before
// the ASKING, which only covers the one command after it. Both tests share one cluster and use their own slots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { startCluster, type RedisCluster } from '../harness/redis';
import { encodeCommand } from '../../provider/resp/encode';
import { ClusterWriter } from '../../provider/writer/cluster-writer';
import { scriptSha } from '../../provider/writer/script-cache';
import { within } from './fixtures';

let c: RedisCluster;
before(async () => { c = await startCluster({ masters: 3 }); });
after(async () => { await c?.stop(); });

async function nodeId(i: number): Promise<string> {
  return String(await c.masters[i].client().cluster('MYID'));
}

async function ownerIndex(key: string): Promise<number> {
  const slot = calculateSlot(key);
  const slots = (await c.masters[0].client().call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
  return c.masters.findIndex((m) => m.port === range[2][1]);
}

test('a keyless command runs after every command written before it, redirected ones included', async () => {
  const w = await ClusterWriter.open({ mode: 'cluster', nodes: [c.nodes[0]] });
  const applied: number[] = [];
  w.on('applied', (o) => applied.push(o));
  const from = await ownerIndex('moved');
  const to = (from + 1) % 3;
  const toId = await nodeId(to);
  for (const m of c.masters) await m.client().call('CLUSTER', 'SETSLOT', calculateSlot('moved'), 'NODE', toId);
  const key = Buffer.from('moved');
  for (let i = 1; i <= 20; i++) w.write(0, key, encodeCommand(['RPUSH', 'moved', i]), i);
  // Written at once: the keyless command reaches the new owner before the MOVED replies bring the RPUSHes there.
  w.write(0, null, encodeCommand(['FLUSHALL']), 21);
  w.write(0, key, encodeCommand(['RPUSH', 'moved', 'after']), 22);
  w.write(0, Buffer.from('other'), encodeCommand(['SET', 'other', 'after']), 23);
  await within(w.flush(), 20_000, 'flush');
  assert.equal(applied.at(-1), 23);
  assert.deepEqual(await c.masters[to].client().lrange('moved', 0, -1), ['after'], 'FLUSHALL ran after the 20 redirected RPUSH');
  assert.equal(await c.client().get('other'), 'after');
  await w.close();
});

test('an EVALSHA redirected by ASK is re-sent as SCRIPT LOAD, ASKING, EVALSHA: one redirect', async () => {
  const body = Buffer.from("return redis.call('RPUSH', KEYS[1], ARGV[1])");
  const sha = scriptSha(body);
  const w = await ClusterWriter.open({ mode: 'cluster', nodes: [c.nodes[0]] }, { scriptBody: (s) => (s === sha ? body : undefined) });
  const askFrom = await ownerIndex('asked');
  const askTo = (askFrom + 1) % 3;
  const slot = calculateSlot('asked');
  await c.masters[askTo].client().call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', await nodeId(askFrom));
  await c.masters[askFrom].client().call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', await nodeId(askTo));
  w.write(0, Buffer.from('asked'), encodeCommand(['EVALSHA', sha, 1, 'asked', 'x']), 1);
  await within(w.flush(), 20_000, 'flush');
  assert.equal(w.redirects, 1);
  const askToId = await nodeId(askTo);
  for (const m of c.masters) await m.client().call('CLUSTER', 'SETSLOT', slot, 'NODE', askToId);
  assert.deepEqual(await c.masters[askTo].client().lrange('asked', 0, -1), ['x']);
  await w.close();
});
