// The node batch script (task/node-batches.ts) against a real one-master cluster (Redis 7: keys of many slots in one
// script): it applies a node's writes with its checkpoint claim, refuses a writer whose expected value is stale
// (SLOTFENCED, nothing applied), and on a failing command keeps what ran before it and claims just before it. Then the
// claims read back say, per slot, what a restart skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { startCluster } from '../harness/redis';
import { DestinationConnection } from '../../provider/writer/connection';
import { WriteError, type WriterFailure } from '../../provider/writer/write-error';
import { encodeCommand } from '../../provider/resp/encode';
import { NodeBatches, type NodeBatchPlan } from '../../provider/task/node-batches';
import { nodeBatchScript, nodeBatchSha } from '../../provider/task/node-batch-script';
import { decodeNodeCheckpoint, AppliedSlots, rangesByNode } from '../../provider/task/node-checkpoints';
import { parseServerInfo } from '../../provider/writer/dialect/server-info';

const REPLID = 'a'.repeat(40);
const cmd = (...a: string[]): Buffer => encodeCommand(a);
const key = (s: string): Buffer => Buffer.from(s);

test('node batches: applied with their claim, fenced when stale, claimed before a failed command', { timeout: 60_000 }, async () => {
  const cluster = await startCluster({ masters: 1 });
  const node = cluster.masters[0];
  const c = node.client();
  const script = nodeBatchScript(parseServerInfo(await c.info('server')));
  const open = async (failures: WriterFailure[]): Promise<DestinationConnection> => {
    const conn = await DestinationConnection.connect({ address: { host: node.host, port: node.port }, scriptBody: () => script });
    conn.on('failed', (f) => failures.push(f));
    return conn;
  };
  const plan = (writer: string, attempt: number): NodeBatchPlan => ({ taskId: 't', stream: 'st', writer, attempt, owner: new Int32Array(16384).fill(0), sha: nodeBatchSha(script), claims: [] });
  const failures: WriterFailure[] = [];
  const conn = await open(failures);
  try {
    const a = new NodeBatches((_k, command, offset) => conn.send(0, command, offset), plan('aa', 1));
    assert.equal(a.keys.length, 1);
    // Keys of three different slots in one script.
    assert.notEqual(calculateSlot('n{x}'), calculateSlot('l{y}'));
    a.add(key('n{x}'), cmd('INCR', 'n{x}'), { offset: 100, db: 0 });
    a.add(key('l{y}'), cmd('RPUSH', 'l{y}', 'e1', 'e2'), { offset: 110, db: 0 });
    a.add(key('s{z}'), cmd('SET', 's{z}', 'v'), { offset: 115, db: 0 });
    a.offset = 120;
    assert.equal(a.close(REPLID, 0), 120);
    await conn.flush();
    assert.equal(failures.length, 0, failures.map((f) => f.message).join());
    const [checkpoint] = a.keys;
    assert.deepEqual(decodeNodeCheckpoint(await c.get(checkpoint)), { replid: REPLID, offset: 120, db: 0, writer: 'aa', ranges: [[0, 16383]] });
    assert.equal(await c.get('n{x}'), '1');
    assert.deepEqual(await c.lrange('l{y}', 0, -1), ['e1', 'e2']);

    // Another writer claims the key: this one's next batch applies nothing.
    await c.set(checkpoint, `${REPLID} 120 0 bb 0-16383`);
    a.add(key('n{x}'), cmd('INCR', 'n{x}'), { offset: 120, db: 0 });
    a.offset = 130;
    a.close(REPLID, 0);
    await conn.flush().catch(() => undefined);
    assert.ok(failures[0] instanceof WriteError && failures[0].code === 'SLOTFENCED', `SLOTFENCED expected, got ${failures[0]?.message}`);
    assert.equal(await c.get('n{x}'), '1');

    // A WRONGTYPE in the middle: the INCR before it stays, the claim is the offset before it, the one after never ran.
    const f2: WriterFailure[] = [];
    const conn2 = await open(f2);
    const b = new NodeBatches((_k, command, offset) => conn2.send(0, command, offset), plan('bb', 1));
    b.add(key('n{x}'), cmd('INCR', 'n{x}'), { offset: 120, db: 0 });
    b.add(key('l{y}'), cmd('INCR', 'l{y}'), { offset: 130, db: 0 });
    b.add(key('n{x}'), cmd('INCR', 'n{x}'), { offset: 140, db: 0 });
    b.offset = 150;
    b.close(REPLID, 0);
    await conn2.flush().catch(() => undefined);
    assert.ok(f2[0] instanceof WriteError && f2[0].code === 'WRONGTYPE', `WRONGTYPE expected, got ${f2[0]?.message}`);
    assert.equal(await c.get('n{x}'), '2');
    const claim = decodeNodeCheckpoint(await c.get(b.keys[0]));
    assert.equal(claim?.offset, 130);
    await conn2.close();

    // What a restart at offset 100 makes of these claims: each slot skips what its claim covers, nothing beyond.
    const other = { replid: 'b'.repeat(40), offset: 500, db: 0, writer: 'cc', ranges: [[0, 16383]] as Array<[number, number]> };
    const applied = new AppliedSlots([claim!, other]);
    assert.deepEqual(applied.lowestOf(REPLID), { offset: 130, db: 0 });
    assert.equal(new AppliedSlots([{ ...other, ranges: [[0, 100]] }]).lowestOf(other.replid), null, 'a slot without a claim: no position');
    applied.continueAt(100, [REPLID]);
    assert.equal(applied.applied(calculateSlot('n{x}'), 130), true);
    assert.equal(applied.applied(calculateSlot('n{x}'), 131), false, 'past the claim');
    assert.equal(applied.applied(calculateSlot('n{x}'), 130), false, 'a slot past its claim stays applied-nothing');
    assert.equal(applied.applied(calculateSlot('s{z}'), 500), false, 'a claim of another history is ignored');
  } finally {
    await conn.close();
    await cluster.stop();
  }
});

test('node checkpoints: slot ranges per node from an owner table', () => {
  const owner = new Int32Array(16384).fill(0);
  owner.fill(1, 5461, 10923);
  owner.fill(-1, 16000, 16100);
  owner[100] = 1;
  const r = rangesByNode(owner);
  assert.deepEqual(r.get(0), [[0, 99], [101, 5460], [10923, 15999], [16100, 16383]]);
  assert.deepEqual(r.get(1), [[100, 100], [5461, 10922]]);
});
