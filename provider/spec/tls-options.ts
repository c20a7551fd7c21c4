// TLS per endpoint: a CA bundle, a client certificate and key (mutual TLS), the server name to check (SNI) and an
// explicit verify switch, turned into the node:tls options every connection of the task uses (replication link,
// writer, prechecks, heartbeat, lease and status, verify), and TLS failures explained with what to set.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { EndpointSpec, NodeAddress, TlsSettings } from './types';

/** PEM given inline, or the path of a PEM file (read when the task starts, so the material never sits in argv). */
function pem(value: string | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN ')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`${where}: neither PEM text nor a readable PEM file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The endpoint's TLS settings with files read; undefined when TLS is off or nothing beyond the defaults is set. */
export function tlsSettingsOf(ep: Pick<EndpointSpec, 'tls' | 'tlsCa' | 'tlsCert' | 'tlsKey' | 'tlsServerName' | 'tlsVerify'>, where: string): TlsSettings | undefined {
  if (!ep.tls) return undefined;
  const s: TlsSettings = {
    ca: pem(ep.tlsCa, `${where}.tlsCa`),
    cert: pem(ep.tlsCert, `${where}.tlsCert`),
    key: pem(ep.tlsKey, `${where}.tlsKey`),
    servername: ep.tlsServerName,
    verify: ep.tlsVerify ?? true,
  };
  return s;
}

/** node:tls options for a connection to this node; undefined for a plain TCP one. */
export function tlsOptions(node: NodeAddress): ConnectionOptions | undefined {
  if (!node.tls) return undefined;
  const t = node.tlsSettings;
  return {
    ca: t?.ca,
    cert: t?.cert,
    key: t?.key,
    // SNI takes names only; an IP address is still checked against the certificate's IP SANs.
    servername: t?.servername ?? (isIP(node.host) === 0 ? node.host : undefined),
    rejectUnauthorized: t?.verify ?? true,
  };
}

/**
 * A TLS failure by what the operator can do about it; null when err is not one (or the node is not a TLS one).
 * A server that requires a client certificate and got none often just resets the connection after the handshake
 * (TLS 1.3 sends the refusal after the client has finished), so a reset without a client certificate says so.
 */
export function explainTlsError(err: Error, side: string, node: string, address?: Pick<NodeAddress, 'tls' | 'tlsSettings'>): string | null {
  if (address && !address.tls) return null;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const text = `${code} ${err.message}`;
  // OpenSSL's texts end with a newline: one line keeps the status, the precheck table and the logs readable.
  const at = `TLS with ${side} ${node} failed (${err.message.replace(/\s+/g, ' ').trim()})`;
  if (/ALTNAME|Hostname\/IP does not match/i.test(text)) {
    return `${at}: the server's certificate is not for this name; set ${side}.tlsServerName to a name in its certificate`;
  }
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|certificate signature failure|CERT_SIGNATURE_FAILURE/i.test(text)) {
    return `${at}: its certificate is not signed by a CA the task trusts; set ${side}.tlsCa to the CA bundle that signed it (PEM text or file)`;
  }
  if (/CERTIFICATE_REQUIRED|certificate required|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA|alert/i.test(text) && /SSL|TLS|alert/i.test(text)) {
    return `${at}: the server refused the task's client certificate (or got none); set ${side}.tlsCert and ${side}.tlsKey to a certificate its tls-ca-cert-file trusts`;
  }
  if (/EXPIRED|NOT_YET_VALID/i.test(text)) return `${at}: the server's certificate is outside its validity period; renew it`;
  if (address && !address.tlsSettings?.cert && /ECONNRESET|EPIPE|socket disconnected|Connection is closed/i.test(text)) {
    return `${at}: the server closed the connection after the TLS handshake, as one that requires a client certificate (tls-auth-clients) does; set ${side}.tlsCert and ${side}.tlsKey`;
  }
  if (/ERR_SSL|ERR_TLS|WRONG_VERSION_NUMBER|EPROTO/i.test(text)) {
    return `${at}: check that ${node} is a TLS port (tls-port) and that ${side}.tls matches the server`;
  }
  return null;
}
