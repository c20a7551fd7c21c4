// The Pulumi layer keeps a TLS private key out of the endpoint (stored in plaintext) and carries it as its own
// secret property, merged back into the spec only for the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propsToSpec } from '../../provider/pulumi/props';

test('sourceTlsKey/destinationTlsKey secrets are merged back into the endpoints', () => {
  const spec = propsToSpec({
    name: 't',
    source: { mode: 'standalone', nodes: ['127.0.0.1:1'], tls: true, tlsCert: 'CERT' },
    destination: { mode: 'standalone', nodes: ['127.0.0.1:2'], tls: true },
    sourcePassword: 'pw', sourceTlsKey: 'KEY', destinationTlsKey: 'DKEY', state: 'Synchronizing',
  });
  assert.deepEqual(spec.source, { mode: 'standalone', nodes: ['127.0.0.1:1'], tls: true, tlsCert: 'CERT', password: 'pw', tlsKey: 'KEY' });
  assert.deepEqual(spec.destination, { mode: 'standalone', nodes: ['127.0.0.1:2'], tls: true, tlsKey: 'DKEY' });
  assert.ok(!('sourceTlsKey' in spec) && !('state' in spec));
});
