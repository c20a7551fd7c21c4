// A throw-away PKI made with the openssl CLI at test time (nothing of it is committed): a CA, a server certificate
// for the name "redis.test" only (so connecting by IP without a server name fails the name check), a client
// certificate for mutual TLS, and an unrelated CA for the wrong-CA case.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  otherCaCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The only name in the server certificate. */
  serverName: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 30_000 });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', ...EC, '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function makeLeaf(dir: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['req', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'server', 'redis.test', 'subjectAltName=DNS:redis.test\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'client', 'redis-sync-client', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string): string => join(dir, f);
  return {
    dir, caCert: p('ca.crt'), otherCaCert: p('other-ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key'), serverName: 'redis.test',
  };
}

export function pemOf(path: string): string {
  return readFileSync(path, 'utf8');
}

/** redis.conf directives for a TLS port that requires a client certificate signed by the test CA. */
export function tlsServerConfig(pki: TestPki, tlsPort: number): Record<string, string> {
  return {
    'tls-port': String(tlsPort), 'tls-cert-file': pki.serverCert, 'tls-key-file': pki.serverKey,
    'tls-ca-cert-file': pki.caCert, 'tls-auth-clients': 'yes', 'repl-diskless-sync-delay': '0',
  };
}
