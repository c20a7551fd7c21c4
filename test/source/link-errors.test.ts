// Errors of the link against a scripted master: each is typed, says whether to retry, and names the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaConnection, type ReplicaOptions } from '../../provider/source/replica-connection';
import { freePort, HOST, sleep } from '../harness/redis';
import { startFakeMaster, handshakeThen, type Reply } from './fake-master';
import { Recorder } from './recorder';

const REPLID = 'f'.repeat(40);

async function withFake(reply: Reply, opts: Partial<ReplicaOptions>, body: (rec: Recorder, conn: ReplicaConnection, port: number) => Promise<void>): Promise<void> {
  const fake = await startFakeMaster(reply);
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: HOST, port: fake.port }, handler: rec, ...opts });
  try {
    conn.start();
    await body(rec, conn, fake.port);
  } finally {
    conn.close();
    await fake.close();
  }
}

async function expectError(rec: Recorder, code: string, retryable: boolean, port: number, pattern?: RegExp): Promise<void> {
  await rec.until(`error ${code}`, () => rec.errors.length > 0, 10_000);
  const err = rec.errors[0];
  assert.equal(err.code, code, err.message);
  assert.equal(err.retryable, retryable);
  assert.equal(err.node, `${HOST}:${port}`);
  assert.match(err.message, new RegExp(`${HOST}:${port}`));
  if (pattern) assert.match(err.message, pattern);
  assert.equal(rec.closed, 1);
}

test('-LOADING and -NOMASTERLINK are retryable', async () => {
  await withFake(handshakeThen('-LOADING Redis is loading the dataset in memory\r\n'), {}, async (rec, _c, port) => {
    await expectError(rec, 'LOADING', true, port, /loading/);
  });
  await withFake(handshakeThen("-NOMASTERLINK Can't SYNC while not connected with my master\r\n"), {}, async (rec, _c, port) => {
    await expectError(rec, 'NOMASTERLINK', true, port, /retry/);
  });
});

test('keep-alive newlines before the PSYNC reply and before the RDB are skipped', async () => {
  const reply: Reply = (argv, socket) => {
    handshakeThen('\n\n')(argv, socket);
    if (argv[0] === 'PSYNC') {
      setTimeout(() => socket.write(`+FULLRESYNC ${REPLID} 100\r\n\n`), 50);
      setTimeout(() => socket.write('\n\n$5\r\nREDIS*1\r\n$4\r\nPING\r\n'), 100);
    }
  };
  await withFake(reply, {}, async (rec) => {
    await rec.until('PING after the RDB', () => rec.commands.length === 1);
    assert.deepEqual(rec.fullResync, { replid: REPLID, offset: 100 });
    assert.equal(rec.rdb().toString(), 'REDIS');
    assert.deepEqual(rec.commands[0], { argv: ['PING'], offset: 114, rawLength: 14 });
  });
});

test('silence past the read timeout is a lost link; not while paused', async () => {
  const reply = handshakeThen(`+FULLRESYNC ${REPLID} 0\r\n$0\r\n`);
  await withFake(reply, { readTimeoutMs: 300, ackIntervalMs: 50 }, async (rec, conn, port) => {
    await rec.until('stream', () => rec.rdbEnd !== null);
    conn.pause();
    await sleep(700);
    assert.equal(rec.errors.length, 0, 'no timeout while paused');
    conn.resume();
    await expectError(rec, 'READ_TIMEOUT', true, port, /no data from source/);
  });
});

test('a server that never answers the handshake times out', async () => {
  await withFake(() => undefined, { connectTimeoutMs: 300 }, async (rec, _c, port) => {
    await expectError(rec, 'HANDSHAKE_TIMEOUT', true, port, /PING|ping/);
  });
});

test('a refused connection, and a link closed during the RDB transfer', async () => {
  const port = await freePort();
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: HOST, port }, handler: rec });
  conn.start();
  await expectError(rec, 'CONNECT_FAILED', true, port, /ECONNREFUSED/);
  const reply: Reply = (argv, socket) => {
    handshakeThen(`+FULLRESYNC ${REPLID} 0\r\n$100\r\nREDIS`)(argv, socket);
    if (argv[0] === 'PSYNC') setTimeout(() => socket.destroy(), 50);
  };
  await withFake(reply, {}, async (rec2, _c, port2) => {
    await expectError(rec2, 'CONNECTION_LOST', true, port2, /during the RDB transfer \(5 bytes received\)/);
  });
});

test('garbage on the command stream is a PROTOCOL error naming the offset', async () => {
  await withFake(handshakeThen(`+FULLRESYNC ${REPLID} 1000\r\n$0\r\n*1\r\n$4\r\nPING\r\n*1\r\n#4\r\n`), {}, async (rec, _c, port) => {
    await expectError(rec, 'PROTOCOL', false, port, /offset 1018/);
    assert.equal(rec.commands.length, 1);
  });
});

test('a handler that throws closes the link with HANDLER_FAILED', async () => {
  await withFake(handshakeThen(`+FULLRESYNC ${REPLID} 0\r\n$0\r\n*1\r\n$4\r\nPING\r\n`), {}, async (rec, _c, port) => {
    rec.onEach = () => { throw new Error('boom'); };
    await expectError(rec, 'HANDLER_FAILED', false, port, /boom/);
  });
});

test('ack() rejects offsets past what was delivered', async () => {
  await withFake(handshakeThen(`+FULLRESYNC ${REPLID} 50\r\n$0\r\n*1\r\n$4\r\nPING\r\n`), {}, async (rec, conn) => {
    await rec.until('PING', () => rec.commands.length === 1);
    assert.throws(() => conn.ack(65), RangeError);
    conn.ack(64);
    assert.equal(conn.appliedOffset, 64);
    conn.ack(60);
    assert.equal(conn.appliedOffset, 64, 'acks never go back');
  });
});
