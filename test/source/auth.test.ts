// AUTH with a password and with an ACL user; failures are clear, not retryable, and never show the password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { startRedis, type RedisServer } from '../harness/redis';
import { ReplicaConnection } from '../../provider/source/replica-connection';
import type { NodeAddress } from '../../provider/spec/types';
import { Recorder } from './recorder';

const FAST = { 'repl-diskless-sync-delay': '0' };
const PASSWORD = 'S3cret-Pa55word-xyz';

async function link(server: RedisServer, auth: Partial<NodeAddress>): Promise<Recorder> {
  const rec = new Recorder();
  const conn = new ReplicaConnection({ node: { host: server.host, port: server.port, ...auth }, handler: rec });
  try {
    conn.start();
    await rec.until('the end of the RDB or an error', () => rec.rdbEnd !== null || rec.errors.length > 0);
    if (auth.password) {
      const shown = `${inspect(conn, { depth: 10 })} ${JSON.stringify(conn)} ${String(conn)}`;
      assert.ok(!shown.includes(auth.password), `the connection object shows the password: ${shown}`);
    }
  } finally {
    conn.close();
  }
  return rec;
}

function assertClean(rec: Recorder, code: string, secret: string, pattern: RegExp): void {
  assert.equal(rec.errors.length, 1);
  const err = rec.errors[0];
  assert.equal(err.code, code, err.message);
  assert.equal(err.retryable, false);
  assert.match(err.message, pattern);
  const everything = `${err.message} ${err.stack ?? ''} ${JSON.stringify(err)} ${String(err.cause ?? '')}`;
  assert.ok(!everything.includes(secret), `the error must not contain the password: ${err.message}`);
}

test('password and ACL user authenticate; wrong or missing credentials are clear errors', { timeout: 60_000 }, async () => {
  const server = await startRedis({ config: FAST, password: PASSWORD });
  try {
    const ok = await link(server, { password: PASSWORD });
    assert.equal(ok.errors.length, 0);
    assert.ok(ok.rdbEnd !== null);

    await server.client().call('ACL', 'SETUSER', 'syncer', 'on', '>syncer-pw-123', '-@all', '+psync', '+replconf', '+ping');
    const acl = await link(server, { username: 'syncer', password: 'syncer-pw-123' });
    assert.equal(acl.errors.length, 0, acl.errors[0]?.message);
    assert.ok(acl.rdbEnd !== null);

    const wrong = await link(server, { password: 'not-the-Pa55word-42' });
    assertClean(wrong, 'AUTH_FAILED', 'not-the-Pa55word-42', new RegExp(`${server.host}:${server.port}.*check the source username and password`));

    const wrongUser = await link(server, { username: 'syncer', password: 'bad-user-pw-77' });
    assertClean(wrongUser, 'AUTH_FAILED', 'bad-user-pw-77', /authentication to source/);

    const none = await link(server, {});
    assertClean(none, 'NOAUTH', PASSWORD, /requires authentication.*set the source password/);

    await server.client().call('ACL', 'SETUSER', 'reader', 'on', '>reader-pw-123', '-@all', '+ping', '+replconf');
    const noPsync = await link(server, { username: 'reader', password: 'reader-pw-123' });
    assertClean(noPsync, 'NOPERM', 'reader-pw-123', /may not run PSYNC.*\+psync/);
  } finally {
    await server.stop();
  }
});

test('a password for a server without one is a clear error', { timeout: 30_000 }, async () => {
  const server = await startRedis({ config: FAST });
  try {
    const rec = await link(server, { password: 'unneeded-Pa55' });
    assertClean(rec, 'AUTH_FAILED', 'unneeded-Pa55', /no password configured/);
  } finally {
    await server.stop();
  }
});

test('PSYNC renamed away is a clear, non-retryable error', { timeout: 30_000 }, async () => {
  const server = await startRedis({ config: { ...FAST, 'rename-command': 'PSYNC ""' } });
  try {
    const rec = await link(server, {});
    assert.equal(rec.errors.length, 1);
    const err = rec.errors[0];
    assert.equal(err.code, 'PSYNC_UNAVAILABLE');
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(`source ${server.host}:${server.port} does not accept PSYNC`));
    assert.match(err.message, /rename-command/);
  } finally {
    await server.stop();
  }
});
