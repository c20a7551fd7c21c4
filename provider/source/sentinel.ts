// A Sentinel-managed source (mode "sentinel"): nodes are the sentinels and masterName the monitored master. The task
// asks them for the current master at every connection attempt, so after a failover the next attempt follows the
// promoted replica by itself (which continues the old history: +CONTINUE where its backlog allows).
import type { NodeAddress, TaskSpec } from '../spec/types';
import { formatHostPort } from '../spec/address';
import { withClient } from '../precheck/node-facts';
import { resolveTask } from '../spec/resolve';

/** The master the sentinels name now; sentinels take no credentials here (the endpoint's are the master's). */
export async function sentinelMaster(sentinels: NodeAddress[], masterName: string): Promise<NodeAddress> {
  const errors: string[] = [];
  for (const s of sentinels) {
    try {
      const reply = await withClient({ host: s.host, port: s.port, tls: s.tls, tlsSettings: s.tlsSettings },
        (c) => c.call('SENTINEL', 'get-master-addr-by-name', masterName), 3000) as [string, string] | null;
      if (!reply) {
        errors.push(`${formatHostPort(s)}: does not monitor a master named "${masterName}"`);
        continue;
      }
      return { ...s, host: reply[0], port: Number(reply[1]) };
    } catch (err) {
      errors.push(`${formatHostPort(s)}: ${(err as Error).message}`);
    }
  }
  throw Object.assign(new Error(`no sentinel named the master "${masterName}" (${errors.join('; ')}): check source.nodes (the sentinels) and source.masterName`), { retryable: true });
}

/** The spec as a standalone source on the current master: what prechecks, verify and cleanup talk to. */
export async function withSentinelMaster(spec: TaskSpec): Promise<TaskSpec> {
  if (spec.source.mode !== 'sentinel') return spec;
  const master = await sentinelMaster(resolveTask(spec).sourceNodes, spec.source.masterName ?? '');
  const { masterName: _name, ...source } = spec.source;
  return { ...spec, source: { ...source, mode: 'standalone', nodes: [formatHostPort(master)] } };
}
