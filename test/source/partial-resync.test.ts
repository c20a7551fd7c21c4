// PSYNC with a saved replid and applied offset: +CONTINUE with the missed commands, or +FULLRESYNC when the
// offset has left the backlog; +CONTINUE <new replid> after the source was promoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep, type RedisServer } from '../harness/redis';
import { ReplicaConnection, type PsyncPosition } from '../../provider/source/replica-connection';
import { Recorder, masterOffset } from './recorder';

const QUIET = { 'repl-ping-replica-period': '3600', 'repl-diskless-sync-delay': '0' };

/** Syncs fully, applies (acks) every command as it arrives, writes `writes` keys, and returns where it stopped. */
async function syncAndStop(server: RedisServer, writes: number): Promise<PsyncPosition> {
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec });
  rec.onEach = (cmd) => conn.ack(cmd.offset);
  try {
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null);
    conn.ack(rec.fullResync!.offset);
    for (let i = 0; i < writes; i++) await server.client().set(`before:${i}`, String(i));
    const offset = await masterOffset(server.client().info('replication'));
    await rec.until('the writes', () => conn.appliedOffset === offset);
    return { replid: conn.replid!, offset: conn.appliedOffset };
  } finally {
    conn.close();
  }
}

async function reconnect(server: RedisServer, psync: PsyncPosition, rec: Recorder): Promise<ReplicaConnection> {
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec, psync });
  conn.start();
  await rec.until('the PSYNC reply', () => rec.continued !== null || rec.fullResync !== null);
  return conn;
}

test('PSYNC from a saved position continues with exactly the missed commands', { timeout: 60_000 }, async () => {
  const server = await startRedis({ config: QUIET });
  let conn: ReplicaConnection | undefined;
  try {
    const saved = await syncAndStop(server, 3);
    for (let i = 0; i < 3; i++) await server.client().set(`missed:${i}`, String(i));
    const offset = await masterOffset(server.client().info('replication'));
    const rec = new Recorder();
    conn = await reconnect(server, saved, rec);
    assert.deepEqual(rec.continued, saved);
    assert.equal(rec.fullResync, null);
    await rec.until('the missed writes', () => rec.commands.some((c) => c.offset === offset));
    const writes = rec.writes().filter((c) => c.argv[0].toLowerCase() === 'set');
    assert.deepEqual(writes.map((c) => c.argv[1]), ['missed:0', 'missed:1', 'missed:2']);
    assert.equal(rec.commands[0].offset - rec.commands[0].rawLength, saved.offset, 'the stream resumes right after the saved offset');
    assert.equal(rec.rdbChunks.length, 0);
    // And it keeps going.
    await server.client().set('live', '1');
    const live = await masterOffset(server.client().info('replication'));
    await rec.until('a live write', () => rec.commands.some((c) => c.offset === live));
  } finally {
    conn?.close();
    await server.stop();
  }
});

test('an offset outside the backlog, or an unknown replid, gets FULLRESYNC', { timeout: 60_000 }, async () => {
  const server = await startRedis({ config: { ...QUIET, 'repl-backlog-size': '16kb' } });
  try {
    const saved = await syncAndStop(server, 1);
    const filler = 'x'.repeat(1024);
    for (let i = 0; i < 64; i++) await server.client().set(`fill:${i}`, filler);
    const rec = new Recorder();
    const conn = await reconnect(server, saved, rec);
    conn.close();
    assert.equal(rec.continued, null);
    assert.equal(rec.fullResync!.replid, saved.replid);
    assert.ok(rec.fullResync!.offset > saved.offset + 64 * 1024);

    const rec2 = new Recorder();
    const current = await masterOffset(server.client().info('replication'));
    const conn2 = await reconnect(server, { replid: '0'.repeat(40), offset: current }, rec2);
    conn2.close();
    assert.equal(rec2.continued, null);
    assert.ok(rec2.fullResync !== null);
  } finally {
    await server.stop();
  }
});

test('after the source is promoted, PSYNC gets +CONTINUE with the new replid', { timeout: 60_000 }, async () => {
  const master = await startRedis({ config: QUIET });
  const replica = await startRedis({ config: { ...QUIET, replicaof: `${master.host} ${master.port}` } });
  let conn: ReplicaConnection | undefined;
  try {
    for (let i = 0; i < 50 && !/master_link_status:up/.test(await replica.client().info('replication')); i++) await sleep(100);
    const saved = await syncAndStop(replica, 0);
    await master.client().set('k', 'v');
    const offset = await masterOffset(master.client().info('replication'));
    for (let i = 0; i < 50 && (await masterOffset(replica.client().info('replication'))) < offset; i++) await sleep(50);
    await replica.client().replicaof('NO', 'ONE');
    const newReplid = /master_replid:([0-9a-f]{40})/.exec(await replica.client().info('replication'))![1];
    assert.notEqual(newReplid, saved.replid);
    const rec = new Recorder();
    conn = await reconnect(replica, saved, rec);
    assert.deepEqual(rec.continued, { replid: newReplid, offset: saved.offset });
    await rec.until('the write made through the old master', () => rec.writes().some((c) => c.argv[1] === 'k'));
  } finally {
    conn?.close();
    await replica.stop();
    await master.stop();
  }
});

test('a source that is a replica without a link to its master answers -NOMASTERLINK', { timeout: 30_000 }, async () => {
  const server = await startRedis({ config: { replicaof: '127.0.0.1 1' } });
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port }, handler: rec });
  try {
    conn.start();
    await rec.until('an error', () => rec.errors.length > 0);
    assert.equal(rec.errors[0].code, 'NOMASTERLINK');
    assert.equal(rec.errors[0].retryable, true);
  } finally {
    conn.close();
    await server.stop();
  }
});
