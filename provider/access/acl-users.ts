// Least-privilege ACL users for a task (Redis 6+), DTS's "whitelist" step done with the servers' own access control:
// on every source node a user that may replicate, read INFO and write the heartbeat key; on every destination node a
// user that may write. Each create or update sets a fresh random password that only the daemon receives.
import { randomBytes } from 'node:crypto';
import type { TaskSpec, NodeAddress } from '../spec/types';
import { resolveTask, liveSource, requireLiveSource } from '../spec/resolve';
import { withClient } from '../precheck/node-facts';
import { endpointNodesExpanded } from '../cluster/topology';

export function aclUserName(task: string): string {
  return `redis-sync-${task}`;
}

/** A key pattern matching exactly this key: ACL key patterns are globs, and a heartbeat key may contain * ? [ ] \\. */
export function escapeGlob(key: string): string {
  return key.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The periodic verify (spec.verify) reads every key and WATCHes it: read-only access to all keys (%R~*, Redis 7+),
 * writes still only to the heartbeat key.
 */
const VERIFY_SOURCE_RULES = ['%R~*', '+@read', '+scan', '+dbsize', '+dump', '+watch', '+multi', '+exec'];

export function sourceRules(heartbeatKey: string, verify = false): string[] {
  const exact = escapeGlob(heartbeatKey);
  return ['+psync', '+replconf', '+sync', '+ping', '+info', '+select', '+set', '+del', '+cluster|slots', '+cluster|shards',
    '+cluster|nodes', '+cluster|myid', '+command|info', `~${exact}`, `~${exact}:*`, ...(verify ? VERIFY_SOURCE_RULES : [])];
}

// The replication stream may carry any write, FLUSHALL, SWAPDB and FUNCTION included; only administration is withheld.
const DESTINATION_RULES = ['~*', '&*', '+@all', '-@admin'];

async function setUser(node: NodeAddress, name: string, password: string, rules: string[]): Promise<void> {
  await withClient(node, (c) => c.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, ...rules));
}

/** Creates (or resets) the task's users; returns the spec the daemon runs with, logging in as those users. */
export async function grantAccess(spec: TaskSpec): Promise<TaskSpec> {
  const task = resolveTask(spec);
  const name = aclUserName(task.id);
  const sourcePassword = randomBytes(24).toString('base64url');
  const destinationPassword = randomBytes(24).toString('base64url');
  const [sources, destinations] = await Promise.all([
    endpointNodesExpanded(requireLiveSource(spec.source, 'access.createUsers').mode, task.sourceNodes),
    endpointNodesExpanded(spec.destination.mode, task.destinationNodes),
  ]);
  // The heartbeat keys of a cluster source carry a hash tag: the rule covers the base and every tagged form.
  await Promise.all(sources.map((n) => setUser(n, name, sourcePassword, sourceRules(task.heartbeat.key, spec.verify !== undefined))));
  await Promise.all(destinations.map((n) => setUser(n, name, destinationPassword, DESTINATION_RULES)));
  return {
    ...spec,
    source: { ...spec.source, username: name, password: sourcePassword },
    destination: { ...spec.destination, username: name, password: destinationPassword },
  };
}

/** Removes the task's users; a node that is gone or never had one is fine. */
export async function revokeAccess(spec: TaskSpec): Promise<void> {
  const task = resolveTask(spec);
  const name = aclUserName(task.id);
  const [sources, destinations] = await Promise.all([
    endpointNodesExpanded(liveSource(spec.source)?.mode ?? 'standalone', task.sourceNodes),
    endpointNodesExpanded(spec.destination.mode, task.destinationNodes),
  ]);
  await Promise.all([...sources, ...destinations].map(async (n) => {
    try {
      await withClient(n, (c) => c.call('ACL', 'DELUSER', name));
    } catch {
      /* unreachable or no ACL support: nothing to remove */
    }
  }));
}
