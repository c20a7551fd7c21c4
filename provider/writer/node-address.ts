// "host:port" from a spec into a NodeAddress carrying the endpoint's credentials.
import type { EndpointSpec, NodeAddress } from '../spec/types';

export function parseNodeAddress(hostPort: string, endpoint: Pick<EndpointSpec, 'username' | 'password' | 'tls'>): NodeAddress {
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad node address "${hostPort}": want host:port`);
  const host = hostPort.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port, username: endpoint.username, password: endpoint.password, tls: endpoint.tls };
}
