// Full resync from real redis-servers, disk-based and diskless: the RDB arrives intact and the command stream
// follows with offsets equal to the master's master_repl_offset; ACKs carry only what was acked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { Crc64 } from '../../provider/rdb/crc64';
import { ReplicaConnection } from '../../provider/source/replica-connection';
import { Recorder, masterOffset, replicaAckOffset } from './recorder';

// The master's own PINGs would make offsets racy to compare, so they are pushed far away.
const QUIET = { 'repl-ping-replica-period': '3600' };

async function fill(server: RedisServer, keys: number, valueBytes: number): Promise<void> {
  const value = 'v'.repeat(valueBytes);
  for (let base = 0; base < keys; base += 500) {
    const p = server.client().pipeline();
    for (let i = base; i < Math.min(keys, base + 500); i++) p.set(`key:${i}`, `${i}:${value}`);
    await p.exec();
  }
}

function assertWholeRdb(rdb: Buffer): void {
  assert.equal(rdb.subarray(0, 5).toString(), 'REDIS', 'RDB starts with the REDIS magic');
  assert.equal(rdb[rdb.length - 9], 0xff, 'RDB ends with the EOF opcode and an 8-byte checksum');
  const crc = new Crc64().update(rdb, 0, rdb.length - 8).digestLE();
  assert.deepEqual(crc, rdb.subarray(rdb.length - 8), 'checksum over the received bytes matches');
}

async function writesArriveWithMasterOffsets(server: RedisServer, rec: Recorder): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await server.client().set(`after:${i}`, `x${i}`);
    const offset = await masterOffset(server.client().info('replication'));
    await rec.until(`SET after:${i} at offset ${offset}`, () => rec.commands.some((c) => c.offset === offset));
    const last = rec.commands[rec.commands.length - 1];
    assert.deepEqual(last.argv, ['set', `after:${i}`, `x${i}`]);
    assert.equal(last.offset, offset);
  }
  // Offsets are contiguous: each command's offset is the previous one plus its bytes.
  let prev = rec.fullResync!.offset;
  for (const c of rec.commands) {
    assert.equal(c.offset, prev + c.rawLength);
    prev = c.offset;
  }
}

async function acksCarryOnlyWhatWasAcked(server: RedisServer, conn: ReplicaConnection, rec: Recorder): Promise<void> {
  const info = () => server.client().info('replication');
  await sleep(1_500);
  assert.equal(await replicaAckOffset(info()), 0, 'nothing acked yet: the master sees offset 0');
  const target = rec.commands[2].offset;
  conn.ack(target);
  const deadline = Date.now() + 5_000;
  let seen = -1;
  while (Date.now() < deadline && seen !== target) {
    seen = await replicaAckOffset(info());
    await sleep(100);
  }
  assert.equal(seen, target, 'the master shows the acked offset');
  await sleep(1_500);
  assert.equal(await replicaAckOffset(info()), target, 'and not more than was acked');
}

async function fullResync(diskless: boolean, keys: number, valueBytes: number): Promise<void> {
  const server = await startRedis({
    config: { ...QUIET, 'repl-diskless-sync': diskless ? 'yes' : 'no', 'repl-diskless-sync-delay': '0' },
  });
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec });
  try {
    await fill(server, keys, valueBytes);
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null, 30_000);
    const rdb = rec.rdb();
    assert.equal(rec.rdbEnd!.bytes, rdb.length);
    assert.equal(rec.rdbEnd!.diskless, diskless);
    assert.deepEqual(rec.rdbStart, { bytesTotal: diskless ? null : rdb.length, diskless });
    if (keys > 0) assert.ok(rec.rdbChunks.length > 1, 'the RDB was handed on in several chunks');
    assertWholeRdb(rdb);
    if (!diskless) assert.deepEqual(rdb, readFileSync(join(server.dir, 'dump.rdb')), 'same bytes as the RDB file on disk');
    const info = await server.client().info('replication');
    assert.match(info, new RegExp(`master_replid:${rec.fullResync!.replid}`));
    await writesArriveWithMasterOffsets(server, rec);
    await acksCarryOnlyWhatWasAcked(server, conn, rec);
    assert.equal(rec.errors.length, 0);
  } finally {
    conn.close();
    await server.stop();
  }
  assert.equal(rec.closed, 1);
}

test('full resync from a disk-based master', { timeout: 60_000 }, async () => {
  await fullResync(false, 3_000, 1_000);
});

test('full resync from a diskless master: the EOF mark is stripped', { timeout: 60_000 }, async () => {
  await fullResync(true, 3_000, 1_000);
});

test('full resync of an empty dataset, diskless', { timeout: 60_000 }, async () => {
  await fullResync(true, 0, 0);
});
