// The command stream from a real master: SELECT, MULTI/EXEC, large values across many socket reads,
// contiguous offsets that end at master_repl_offset; keep-alives during a slow snapshot; RDB backpressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startRedis } from '../harness/redis';
import { Crc64 } from '../../provider/rdb/crc64';
import { ReplicaConnection } from '../../provider/source/replica-connection';
import { Recorder, masterOffset } from './recorder';

const QUIET = { 'repl-ping-replica-period': '3600', 'repl-diskless-sync-delay': '0' };

test('SELECT, MULTI/EXEC and a large value arrive intact with contiguous offsets', { timeout: 60_000 }, async () => {
  const server = await startRedis({ config: QUIET });
  const rec = new Recorder();
  const big: Buffer[] = [];
  rec.onEach = (cmd) => { if (cmd.argv[1]?.toString() === 'big') big.push(Buffer.from(cmd.argv[2])); };
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec });
  try {
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null);
    const c = server.client();
    await c.select(3);
    await c.set('in-db-3', 'x');
    await c.multi().incr('counter').lpush('list', 'a', 'b').exec();
    const value = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
    await c.set('big', value);
    await c.select(0);
    await c.set('back-in-0', 'y');
    const end = await masterOffset(c.info('replication'));
    await rec.until('all writes', () => conn.receivedOffset === end, 20_000);
    const names = rec.commands.map((x) => x.argv[0].toLowerCase());
    assert.deepEqual(names, ['select', 'set', 'multi', 'incr', 'lpush', 'exec', 'set', 'select', 'set']);
    assert.deepEqual(rec.commands[0].argv, ['SELECT', '3']);
    assert.equal(big.length, 1);
    assert.ok(big[0].equals(value), 'the large value is intact');
    let prev = rec.fullResync!.offset;
    for (const x of rec.commands) {
      assert.equal(x.offset, prev + x.rawLength);
      prev = x.offset;
    }
    assert.equal(prev, end);
  } finally {
    conn.close();
    await server.stop();
  }
});

test('a slow disk snapshot: the master keep-alives hold off the read timeout', { timeout: 60_000 }, async () => {
  // 1 ms per key makes BGSAVE take about 2 s, longer than the 1.2 s read timeout used here.
  const server = await startRedis({ config: { ...QUIET, 'repl-diskless-sync': 'no', 'rdb-key-save-delay': '1000' } });
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec, readTimeoutMs: 1_200 });
  try {
    const p = server.client().pipeline();
    for (let i = 0; i < 2_000; i++) p.set(`k${i}`, String(i));
    await p.exec();
    const started = Date.now();
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null, 30_000);
    assert.ok(Date.now() - started > 1_200, `the snapshot took ${Date.now() - started} ms`);
    assert.equal(rec.errors.length, 0);
  } finally {
    conn.close();
    await server.stop();
  }
});

test('pausing in every RDB chunk (writer backpressure) still delivers the exact snapshot', { timeout: 60_000 }, async () => {
  const server = await startRedis({ config: { ...QUIET, 'repl-diskless-sync': 'yes' } });
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec });
  const crc = new Crc64();
  let bytes = 0;
  let pauses = 0;
  const chunks: Buffer[] = [];
  rec.onRdbData = (chunk) => {
    chunks.push(Buffer.from(chunk));
    bytes += chunk.length;
    conn.pause();
    pauses++;
    setTimeout(() => conn.resume(), 1);
  };
  try {
    // Random values, so that the RDB's LZF compression cannot shrink the snapshot to a few chunks.
    const p = server.client().pipeline();
    for (let i = 0; i < 2_000; i++) p.set(`k${i}`, randomBytes(1_000));
    await p.exec();
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null, 30_000);
    const rdb = Buffer.concat(chunks);
    assert.equal(rec.rdbEnd!.bytes, bytes);
    crc.update(rdb, 0, rdb.length - 8);
    assert.deepEqual(crc.digestLE(), rdb.subarray(rdb.length - 8));
    assert.ok(pauses > 10);
    await server.client().set('after', '1');
    const end = await masterOffset(server.client().info('replication'));
    await rec.until('the write after the RDB', () => conn.receivedOffset === end);
  } finally {
    conn.close();
    await server.stop();
  }
});
