// REPLCONF ACK carries the applied offset: WAIT on the source sees only what the engine acked, GETACK is
// answered at once, and a late ack() answers a pending GETACK without waiting for the next tick.
// Also flow control: pause() stops deliveries, resume() delivers the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { ReplicaConnection, type ReplicaOptions } from '../../provider/source/replica-connection';
import { Recorder, masterOffset, replicaAckOffset } from './recorder';

const QUIET = { 'repl-ping-replica-period': '3600', 'repl-diskless-sync-delay': '0' };

async function withLink(opts: Partial<ReplicaOptions>, body: (server: RedisServer, conn: ReplicaConnection, rec: Recorder) => Promise<void>): Promise<void> {
  const server = await startRedis({ config: QUIET });
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec, ...opts });
  try {
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null);
    await body(server, conn, rec);
    assert.equal(rec.errors.length, 0, rec.errors[0]?.message);
  } finally {
    conn.close();
    await server.stop();
  }
}

async function wait(server: RedisServer, timeoutMs: number): Promise<{ replicas: number; ms: number }> {
  const start = Date.now();
  const replicas = (await server.client().call('WAIT', '1', String(timeoutMs))) as number;
  return { replicas, ms: Date.now() - start };
}

test('GETACK is answered at once with the applied offset; WAIT succeeds only for applied writes', { timeout: 60_000 }, async () => {
  // A long tick interval shows that the answers come from GETACK, not from the periodic ACK.
  await withLink({ ackIntervalMs: 60_000 }, async (server, conn, rec) => {
    rec.onEach = (cmd) => conn.ack(cmd.offset);
    await server.client().set('a', '1');
    const applied = await wait(server, 5_000);
    assert.equal(applied.replicas, 1);
    assert.ok(applied.ms < 1_000, `WAIT took ${applied.ms} ms`);
    assert.ok(rec.commands.some((c) => c.argv[0].toUpperCase() === 'REPLCONF' && c.argv[1].toUpperCase() === 'GETACK'), 'GETACK is delivered as a command');

    rec.onEach = null;
    await server.client().set('b', '2');
    const unapplied = await wait(server, 500);
    assert.equal(unapplied.replicas, 0, 'a write that was received but not applied is not acknowledged');
  });
});

test('a pending GETACK is answered as soon as ack() reaches it', { timeout: 60_000 }, async () => {
  await withLink({ ackIntervalMs: 60_000 }, async (server, conn, rec) => {
    await server.client().set('a', '1');
    const target = await masterOffset(server.client().info('replication'));
    const waiting = wait(server, 10_000);
    await rec.until('GETACK', () => rec.commands.some((c) => c.argv[0].toUpperCase() === 'REPLCONF'));
    await sleep(300);
    const ackedAt = Date.now();
    conn.ack(target);
    const result = await waiting;
    assert.equal(result.replicas, 1);
    assert.ok(Date.now() - ackedAt < 1_000, 'answered right after ack(), not at the next tick');
  });
});

test('ACKs each interval carry the acked offset, not the received one', { timeout: 60_000 }, async () => {
  await withLink({ ackIntervalMs: 200 }, async (server, conn, rec) => {
    const info = () => server.client().info('replication');
    for (let i = 0; i < 3; i++) await server.client().set(`k${i}`, String(i));
    const end = await masterOffset(info());
    await rec.until('the writes', () => conn.receivedOffset === end);
    await sleep(600);
    assert.equal(await replicaAckOffset(info()), 0);
    const first = rec.commands[0].offset;
    conn.ack(first);
    await sleep(600);
    assert.equal(await replicaAckOffset(info()), first);
    conn.ack(end);
    await sleep(600);
    assert.equal(await replicaAckOffset(info()), end);
  });
});

test('pause() stops deliveries at the next command; resume() delivers the rest', { timeout: 60_000 }, async () => {
  await withLink({}, async (server, conn, rec) => {
    conn.pause();
    const p = server.client().pipeline();
    for (let i = 0; i < 200; i++) p.set(`p${i}`, String(i));
    await p.exec();
    const end = await masterOffset(server.client().info('replication'));
    await sleep(300);
    assert.equal(rec.commands.length, 0, 'nothing delivered while paused');
    // Pause again from inside the handler after every 50th command.
    rec.onEach = () => { if (rec.commands.length % 50 === 0) conn.pause(); };
    for (let round = 1; round <= 4; round++) {
      conn.resume();
      await rec.until(`${round * 50} commands`, () => rec.commands.length >= round * 50);
      await sleep(50);
      assert.ok(rec.commands.length === round * 50 || rec.commands[rec.commands.length - 1].offset === end, `stopped at ${rec.commands.length}`);
    }
    conn.resume();
    await rec.until('all writes', () => conn.receivedOffset === end);
    assert.equal(rec.writes().filter((c) => c.argv[0] === 'set').length, 200);
  });
});
