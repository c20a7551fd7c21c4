// "host:port" from a spec into a NodeAddress carrying the endpoint's credentials, split the way the engine
// splits them (a "user:password" password field names the ACL user).
import type { EndpointSpec, NodeAddress } from '../spec/types';
import { parseHostPort } from '../spec/address';
import { credentials } from '../spec/resolve';

export function parseNodeAddress(hostPort: string, endpoint: Pick<EndpointSpec, 'username' | 'password' | 'tls'>): NodeAddress {
  return { ...parseHostPort(hostPort), ...credentials({ mode: 'standalone', nodes: [], ...endpoint }), tls: endpoint.tls };
}
