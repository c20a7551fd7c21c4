// "host:port" from a spec into a NodeAddress carrying the endpoint's credentials, split the way the engine
// splits them (a "user:password" password field names the ACL user).
import type { EndpointSpec, NodeAddress } from '../spec/types';
import { parseHostPort } from '../spec/address';
import { credentials } from '../spec/resolve';
import { tlsSettingsOf } from '../spec/tls-options';

type EndpointAccess = Pick<EndpointSpec, 'username' | 'password' | 'tls' | 'tlsCa' | 'tlsCert' | 'tlsKey' | 'tlsServerName' | 'tlsVerify'>;

export function parseNodeAddress(hostPort: string, endpoint: EndpointAccess): NodeAddress {
  const tlsSettings = tlsSettingsOf(endpoint, 'endpoint');
  return { ...parseHostPort(hostPort), ...credentials({ mode: 'standalone', nodes: [], ...endpoint }), tls: endpoint.tls, ...(tlsSettings ? { tlsSettings } : {}) };
}
