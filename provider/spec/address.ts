// "host:port" parsing, IPv6 in brackets as Redis's own tools print it.
export interface HostPort { host: string; port: number }

export function parseHostPort(text: string, where = 'address'): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new Error(`${where}: "${text}" is not "host:port" (port 1-65535; IPv6 as "[::1]:6379")`);
  }
  return { host: m[1] ?? m[2], port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
