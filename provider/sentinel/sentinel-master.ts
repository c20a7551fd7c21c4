// A Sentinel-managed endpoint (mode "sentinel"): nodes are the sentinels and masterName the monitored master.
// - A source: the task asks them for the current master at every connection attempt, so after a failover the next
//   attempt follows the promoted replica by itself (which continues the old history: +CONTINUE where its backlog allows).
// - A destination: the daemon writes the master they name; when a write fails and they name another one, it starts
//   again on that one from the checkpoint there (task-runner.ts), which the replica received in the same transactions
//   as the data, so what a failover loses of the last writes is written again, once.
import type { NodeAddress, TaskSpec } from '../spec/types';
import { formatHostPort } from '../spec/address';
import { withClient } from '../precheck/node-facts';
import { resolveTask } from '../spec/resolve';

/** The master the sentinels name now; sentinels take no credentials here (the endpoint's are the master's). */
export async function sentinelMaster(sentinels: NodeAddress[], masterName: string, side: 'source' | 'destination' = 'source'): Promise<NodeAddress> {
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
  throw Object.assign(new Error(`no sentinel named the master "${masterName}" (${errors.join('; ')}): check ${side}.nodes (the sentinels) and ${side}.masterName`), { retryable: true });
}

/**
 * The spec with each Sentinel-managed side (or only `sides`) as a standalone endpoint on its current master: what
 * prechecks, verify, the cutover, the lease and cleanup talk to.
 */
export async function withSentinelMaster(spec: TaskSpec, sides: Array<'source' | 'destination'> = ['source', 'destination']): Promise<TaskSpec> {
  if (!sides.some((side) => spec[side].mode === 'sentinel')) return spec;
  const task = resolveTask(spec);
  let out = spec;
  for (const side of sides) {
    if (spec[side].mode !== 'sentinel') continue;
    const nodes = side === 'source' ? task.sourceNodes : task.destinationNodes;
    const master = await sentinelMaster(nodes, spec[side].masterName ?? '', side);
    const { masterName: _name, ...rest } = spec[side];
    out = { ...out, [side]: { ...rest, mode: 'standalone', nodes: [formatHostPort(master)] } };
  }
  return out;
}
