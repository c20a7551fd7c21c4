// The link over TLS, against redis-server's tls-port with a throw-away self-signed certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../harness/redis';
import { ReplicaConnection } from '../../provider/source/replica-connection';
import { Recorder, masterOffset } from './recorder';

function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'pipe', timeout: 30_000 });
  return { cert, key };
}

test('full resync and stream over TLS; an untrusted certificate is refused', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-tls-'));
  const { cert, key } = selfSigned(dir);
  const tlsPort = await freePort();
  const server = await startRedis({
    config: {
      'tls-port': String(tlsPort), 'tls-cert-file': cert, 'tls-key-file': key, 'tls-ca-cert-file': cert,
      'tls-auth-clients': 'no', 'repl-diskless-sync-delay': '0', 'repl-ping-replica-period': '3600',
    },
    password: 'tls-pw-1',
  });
  const rec = new Recorder();
  const node = { host: server.host, port: tlsPort, password: 'tls-pw-1', tls: true };
  const conn = new ReplicaConnection({ node, handler: rec, tls: { ca: readFileSync(cert) } });
  const untrusted = new Recorder();
  const conn2 = new ReplicaConnection({ node, handler: untrusted });
  try {
    conn.start();
    await rec.until('the end of the RDB', () => rec.rdbEnd !== null);
    await server.client().set('over-tls', '1');
    const offset = await masterOffset(server.client().info('replication'));
    await rec.until('the write', () => rec.commands.some((c) => c.offset === offset));
    conn2.start();
    await untrusted.until('an error', () => untrusted.errors.length > 0);
    assert.equal(untrusted.errors[0].code, 'TLS_FAILED');
    assert.equal(untrusted.errors[0].retryable, false);
    assert.match(untrusted.errors[0].message, /certificate/);
  } finally {
    conn.close();
    conn2.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
