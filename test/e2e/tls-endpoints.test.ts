// TLS as production needs it, against real redis-server tls-ports that require client certificates: a private CA
// (file and inline PEM), mutual TLS, the server name, verify. A whole task (prechecks, full sync, stream, heartbeat,
// lease and status, verify) runs over TLS with the key kept out of logs, status and argv; a wrong CA, a wrong name
// and a missing client certificate each fail naming the node and the field to set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { freePort, startRedis, type RedisServer } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { runTask } from '../bad-input/cli';
import { fillEveryType } from '../harness/dataset';
import { caughtUp, assertConsistent } from '../harness/sync';
import { makeTestPki, pemOf, tlsServerConfig, type TestPki } from '../harness/tls';
import type { EndpointSpec, TaskSpec } from '../../provider/spec/types';

async function tlsServer(pki: TestPki): Promise<{ server: RedisServer; tlsAddr: string }> {
  const port = await freePort();
  const server = await startRedis({ config: tlsServerConfig(pki, port) });
  return { server, tlsAddr: `127.0.0.1:${port}` };
}

function spec(name: string, src: EndpointSpec, dst: EndpointSpec): TaskSpec {
  return { name, source: src, destination: dst, heartbeat: { intervalMs: 100 } };
}

test('a task over mutual TLS on both sides: private CA, client certificate, server name; the key stays secret', { timeout: 120_000 }, async () => {
  const pki = makeTestPki();
  const src = await tlsServer(pki);
  const dst = await tlsServer(pki);
  const keyPem = pemOf(pki.clientKey);
  try {
    await fillEveryType(src.server.client(), 0);
    // The source by files, the destination inline (as a Pulumi secret would give it).
    const s = spec('tls-mutual',
      { mode: 'standalone', nodes: [src.tlsAddr], tls: true, tlsCa: pki.caCert, tlsCert: pki.clientCert, tlsKey: pki.clientKey, tlsServerName: pki.serverName },
      { mode: 'standalone', nodes: [dst.tlsAddr], tls: true, tlsCa: pemOf(pki.caCert), tlsCert: pemOf(pki.clientCert), tlsKey: keyPem, tlsServerName: pki.serverName });
    const d = startDaemon(s);
    try {
      const st = await d.waitForState('Synchronizing', 60_000);
      assert.equal(st.nodes[0].lastSync, 'full');
      await src.server.client().set('over-tls', 'yes');
      await caughtUp(d, src.server);
      const lagged = await d.waitFor((x) => x.nodes[0].lagMs !== null, 10_000, 'a lag measurement over TLS');
      assert.ok(lagged.nodes[0].lagMs !== null);
      await assertConsistent(s, 20); // verify itself connects over mutual TLS
      const texts = [readFileSync(`${d.stateDir}/tls-mutual/status.json`, 'utf8'), readFileSync(`${d.stateDir}/tls-mutual/daemon.log`, 'utf8'), d.output(),
        readFileSync(`/proc/${d.child.pid}/cmdline`, 'utf8')];
      const keyBody = keyPem.split('\n')[1];
      for (const t of texts) assert.ok(!t.includes(keyBody), 'the private key leaked into status, log, output or argv');
    } finally {
      await d.kill('SIGTERM');
    }
  } finally {
    await Promise.all([src.server.stop(), dst.server.stop()]);
    rmSync(pki.dir, { recursive: true, force: true });
  }
});

test('wrong CA, wrong name, no client certificate, verify off: clear errors naming the node and the field', { timeout: 120_000 }, async () => {
  const pki = makeTestPki();
  const src = await tlsServer(pki);
  const dst = await startRedis();
  const plainDst: EndpointSpec = { mode: 'standalone', nodes: [dst.addr] };
  const good: EndpointSpec = { mode: 'standalone', nodes: [src.tlsAddr], tls: true, tlsCa: pki.caCert, tlsCert: pki.clientCert, tlsKey: pki.clientKey, tlsServerName: pki.serverName };
  const at = src.tlsAddr.replace(/\./g, '\\.');
  try {
    const wrongCa = await runTask(spec('tls-wrong-ca', { ...good, tlsCa: pki.otherCaCert }, plainDst));
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.stderr, new RegExp(`FAILED\\s+source-connectivity\\s+TLS with source ${at} failed \\(.*\\): its certificate is not signed by a CA the task trusts; set source.tlsCa`));

    const wrongName = await runTask(spec('tls-wrong-name', { ...good, tlsServerName: undefined }, plainDst));
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stderr, new RegExp(`TLS with source ${at} failed .*set source.tlsServerName to a name in its certificate`));

    const noCert = await runTask(spec('tls-no-cert', { ...good, tlsCert: undefined, tlsKey: undefined }, plainDst));
    assert.equal(noCert.code, 1);
    assert.match(noCert.stderr, new RegExp(`TLS with source ${at} failed .*set source.tlsCert and source.tlsKey`));

    // The task itself (prechecks skipped) fails the same way, not retried.
    const run = await runTask(spec('tls-wrong-ca-run', { ...good, tlsCa: pki.otherCaCert }, plainDst), ['--skip-prechecks'], 30_000);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`TLS with source ${at} failed .*set source.tlsCa.*\\(not retryable\\)`));

    // tlsVerify false accepts the unknown CA and the name (for tests only), the client certificate still required.
    const insecure = await runTask(spec('tls-insecure', { ...good, tlsCa: pki.otherCaCert, tlsServerName: undefined, tlsVerify: false }, plainDst), ['--skip-prechecks'], 8_000);
    assert.doesNotMatch(insecure.stderr, /TLS with source/);

    const bad = await runTask(spec('tls-spec', { ...good, tls: false, tlsCert: pki.clientCert, tlsKey: undefined }, plainDst));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /source\.tls: must be true when tlsCa, tlsCert, tlsServerName are set/);
    assert.match(bad.stderr, /source\.tlsKey: is required with tlsCert\/tlsKey/);
  } finally {
    await Promise.all([src.server.stop(), dst.stop()]);
    rmSync(pki.dir, { recursive: true, force: true });
  }
});
