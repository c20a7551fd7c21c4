// The standalone batch (task/tx-batch.ts) against a real server: runs of plain SETs go as one MSET inside the
// transaction, in order with the other commands around them (a SET, then an INCR of the same key, then SETs again),
// across a db change; the checkpoint is set with them; and a failure of an MSET is placed before its first SET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { DestinationConnection } from '../../provider/writer/connection';
import { encodeCommand } from '../../provider/resp/encode';
import { TxBatch } from '../../provider/task/tx-batch';
import { STRING_BATCH_KEYS } from '../../provider/task/string-batch';

const REPLID = 'b'.repeat(40);
const b = (s: string): Buffer => Buffer.from(s);

test('tx batch: plain SETs become MSETs in order with the other commands, the checkpoint with them', { timeout: 30_000 }, async () => {
  const server = await startRedis();
  const conn = await DestinationConnection.connect({ address: { host: server.host, port: server.port } });
  const sent: Buffer[] = [];
  try {
    const batch = new TxBatch((db, command, offset) => { sent.push(command); conn.send(db, command, offset); }, { db: 0, key: 'redis-sync:checkpoint:t:standalone', guard: 'redis-sync:guard:t:w', writer: 'w1' });
    let offset = 1000;
    const next = (): number => (offset += 10);
    // 300 SETs (more than one MSET holds), then an INCR of a key just SET, then more SETs of it, then db 3.
    for (let i = 0; i < 300; i++) batch.addSet(0, b(`k${i}`), b(`v${i}`), encodeCommand(['SET', `k${i}`, `v${i}`]), next(), 0);
    const firstSetAt = 1010;
    batch.addSet(0, b('n'), b('5'), Buffer.from('SET n 5\r\n'), next(), 0); // inline: encoded anew
    batch.add(0, encodeCommand(['INCR', 'n']), next(), 0);
    batch.addSet(0, b('n'), b('40'), encodeCommand(['set', 'n', '40']), next(), 0);
    batch.add(0, encodeCommand(['INCR', 'n']), next(), 0);
    batch.addSet(3, b('other'), b('db3'), encodeCommand(['SET', 'other', 'db3']), next(), 3);
    batch.offset = offset;
    assert.equal(batch.close(REPLID, 3), offset);
    await conn.flush();
    const c = server.client();
    assert.equal(await c.get('k0'), 'v0');
    assert.equal(await c.get('k299'), 'v299');
    assert.equal(await c.get('n'), '41', 'SET 5, INCR, SET 40, INCR: each in its place');
    await c.select(3);
    assert.equal(await c.get('other'), 'db3');
    await c.select(0);
    assert.equal(await c.get('redis-sync:checkpoint:t:standalone'), `${REPLID} ${offset} 3 w1`);
    const msets = sent.filter((x) => x.includes('MSET'));
    assert.ok(msets.length >= Math.ceil(300 / STRING_BATCH_KEYS) && msets.length < 10, `${msets.length} MSETs for 304 SETs`);
    const single = sent.filter((x) => /^\*3\r\n\$3\r\nSET\r\n/.test(x.toString('latin1')) && !x.includes('redis-sync:checkpoint'));
    assert.equal(single.length, 0, 'no plain SET sent on its own (only the checkpoint SET)');
    // A failing MSET sends the checkpoint back to just before its first SET.
    assert.deepEqual(batch.positionBefore(msets[0]), { offset: firstSetAt, db: 0 });
    assert.equal(batch.positionBefore(msets.at(-1)!)?.db, 3);
  } finally {
    await conn.close();
    await server.stop();
  }
});
