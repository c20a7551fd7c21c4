import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { encodeCommand } from '../../provider/resp/encode';
import { DestinationConnection } from '../../provider/writer/connection';
import { WriteError, ConnectionLostError, type WriterFailure } from '../../provider/writer/write-error';
import { scriptSha } from '../../provider/writer/script-cache';
import { within } from './fixtures';

const addr = (port: number, password?: string) => ({ host: '127.0.0.1', port, password });

test('pipelined sends are confirmed and applied offsets arrive in order up to the last tagged command', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    const applied: number[] = [];
    conn.on('applied', (o) => applied.push(o));
    for (let i = 1; i <= 5000; i++) conn.send(0, encodeCommand(['SET', `k${i}`, i]), i % 7 === 0 ? i * 10 : undefined);
    await within(conn.flush(), 10_000, 'flush');
    assert.ok(applied.length > 0);
    for (let i = 1; i < applied.length; i++) assert.ok(applied[i] > applied[i - 1], 'applied offsets increase');
    assert.equal(applied[applied.length - 1], 4998 * 10);
    assert.equal(conn.inFlightCommands, 0);
    assert.equal(await s.client().get('k5000'), '5000');
    assert.equal(await s.client().dbsize(), 5000);
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('send returns false at the command bound and drain follows; the byte bound works the same way', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port), tuning: { pipelineCommands: 10, pipelineBytes: 10_000 } });
    const results: boolean[] = [];
    for (let i = 0; i < 10; i++) results.push(conn.send(0, encodeCommand(['INCR', 'n'])));
    assert.deepEqual(results, [...Array(9).fill(true), false]);
    await within(new Promise<void>((r) => conn.once('drain', r)), 5_000, 'drain after the command bound');
    assert.ok(conn.inFlightCommands < 10);

    let drains = 0;
    conn.on('drain', () => drains++);
    assert.equal(conn.send(0, encodeCommand(['SET', 'big', 'x'.repeat(12_000)])), false);
    await within(conn.flush(), 5_000, 'flush');
    assert.equal(drains, 1);
    assert.equal(await s.client().get('n'), '10');
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('an error reply (WRONGTYPE) stops the writer with the command and its offset; nothing later is applied', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    const applied: number[] = [];
    const failures: WriterFailure[] = [];
    conn.on('applied', (o) => applied.push(o));
    conn.on('failed', (f) => failures.push(f));
    conn.send(0, encodeCommand(['SET', 'a', '1']), 10);
    conn.send(0, encodeCommand(['LPUSH', 'a', 'x']), 20);
    conn.send(0, encodeCommand(['SET', 'b', '2']), 30);
    const err = await within(conn.flush().then(() => null, (e: unknown) => e), 5_000, 'flush');
    assert.ok(err instanceof WriteError);
    assert.equal(err.code, 'WRONGTYPE');
    assert.equal(err.offset, 20);
    assert.equal(err.command, 'LPUSH a x');
    assert.deepEqual(applied, [10]);
    assert.equal(failures.length, 1);
    assert.throws(() => conn.send(0, encodeCommand(['PING']), 40), WriteError);
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('OOM under maxmemory noeviction is a WriteError naming the command and offset', async () => {
  const s = await startRedis({ config: { 'maxmemory-policy': 'noeviction' } });
  try {
    await s.client().set('filler', 'z'.repeat(2 * 1024 * 1024));
    await s.client().config('SET', 'maxmemory', '1mb');
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    const applied: number[] = [];
    conn.on('applied', (o) => applied.push(o));
    conn.send(0, encodeCommand(['DEL', 'nothing']), 5); // DEL is allowed under OOM
    conn.send(0, encodeCommand(['SET', 'k', 'v']), 6);
    conn.send(0, encodeCommand(['DEL', 'nothing']), 7);
    const err = await within(conn.flush().then(() => null, (e: unknown) => e), 5_000, 'flush');
    assert.ok(err instanceof WriteError);
    assert.equal(err.code, 'OOM');
    assert.equal(err.offset, 6);
    assert.equal(err.command, 'SET k v');
    assert.deepEqual(applied, [5]);
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('SELECT is sent only when the db changes', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    conn.send(0, encodeCommand(['SET', 'k', 'db0']));
    conn.send(3, encodeCommand(['SET', 'k', 'db3']));
    conn.send(3, encodeCommand(['SET', 'k2', 'db3']));
    conn.send(0, encodeCommand(['SET', 'k2', 'db0']));
    const before = conn.sentCount;
    await within(conn.flush(), 5_000, 'flush');
    assert.equal(conn.db, 0);
    assert.equal(before, 1 /* PING */ + 4 + 2 /* SELECT 3, SELECT 0 */);
    const c = s.client();
    assert.deepEqual([await c.get('k'), await c.get('k2')], ['db0', 'db0']);
    await c.select(3);
    assert.deepEqual([await c.get('k'), await c.get('k2')], ['db3', 'db3']);
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('AUTH: a right password connects; a wrong one fails without showing the password', async () => {
  const s = await startRedis({ password: 'secret-pw-1' });
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port, 'secret-pw-1') });
    conn.send(0, encodeCommand(['SET', 'a', '1']));
    await within(conn.flush(), 5_000, 'flush');
    await conn.close();
    const err = await DestinationConnection.connect({ address: addr(s.port, 'wrong-pw-2') }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WriteError);
    assert.equal(err.command, 'AUTH <redacted>');
    assert.ok(!err.message.includes('wrong-pw-2'));
    assert.match(err.reply, /WRONGPASS|invalid/);
  } finally {
    await s.stop();
  }
});

test('EVALSHA: SCRIPT LOAD goes first when the engine knows the body; NOSCRIPT otherwise names the sha', async () => {
  const s = await startRedis();
  try {
    const body = Buffer.from("return redis.call('SET', KEYS[1], ARGV[1])");
    const sha = scriptSha(body);
    const conn = await DestinationConnection.connect({ address: addr(s.port), scriptBody: (h) => (h === sha ? body : undefined) });
    conn.send(0, encodeCommand(['EVALSHA', sha, 1, 'lua', 'ran']), 1);
    conn.send(0, encodeCommand(['EVALSHA', sha, 1, 'lua2', 'ran']), 2);
    await within(conn.flush(), 5_000, 'flush');
    assert.equal(await s.client().get('lua2'), 'ran');
    assert.equal(conn.sentCount, 1 + 1 + 2, 'one SCRIPT LOAD for two EVALSHA');
    const unknown = 'a'.repeat(40);
    conn.send(0, encodeCommand(['EVALSHA', unknown, 0]), 3);
    const err = await within(conn.flush().then(() => null, (e: unknown) => e), 5_000, 'flush');
    assert.ok(err instanceof WriteError);
    assert.equal(err.code, 'NOSCRIPT');
    assert.equal(err.sha, unknown);
    assert.equal(err.offset, 3);
    await conn.close();
  } finally {
    await s.stop();
  }
});

test('a destination that goes away stops the writer with ConnectionLostError; nothing later is applied', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    const applied: number[] = [];
    conn.on('applied', (o) => applied.push(o));
    conn.send(0, encodeCommand(['SET', 'a', '1']), 1);
    await within(conn.flush(), 5_000, 'flush');
    conn.send(0, encodeCommand(['DEBUG', 'SLEEP', '0.2']), 2);
    await s.kill('SIGKILL');
    const err = await within(conn.flush().then(() => null, (e: unknown) => e), 5_000, 'flush after kill');
    assert.ok(err instanceof ConnectionLostError);
    assert.deepEqual(applied, [1]);
  } finally {
    await s.stop();
  }
});

test('throughput: 200k pipelined SETs within the default bounds, rate printed', async () => {
  const s = await startRedis();
  try {
    const conn = await DestinationConnection.connect({ address: addr(s.port) });
    let last = 0;
    conn.on('applied', (o) => { last = o; });
    const n = 200_000;
    const started = Date.now();
    for (let i = 1; i <= n; i++) {
      if (!conn.send(0, encodeCommand(['SET', `key:${i}`, 'value-of-some-32-bytes-0123456789']), i)) {
        await within(new Promise<void>((r) => conn.once('drain', r)), 10_000, 'drain');
      }
    }
    await within(conn.flush(), 30_000, 'flush');
    const ms = Date.now() - started;
    console.log(`writer: ${n} SETs in ${ms} ms = ${Math.round(n / (ms / 1000))} commands/s`);
    assert.equal(last, n);
    assert.equal(await s.client().dbsize(), n);
    await conn.close();
  } finally {
    await s.stop();
  }
});
