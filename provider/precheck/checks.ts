// The prechecks, each an item with an id the spec can ignore (DTS's "Ignore" button), a result and a message that
// says what to do. They are pure functions of the facts read from the servers, so each is easy to test and read.
import type { TaskSpec } from '../spec/types';
import type { PrecheckItem } from '../state/status';
import type { NodeFacts } from './node-facts';
import type { UnsupportedFinding } from './unsupported-inventory';
import { dialectFor, UNSUPPORTED_DATA_CHECK } from '../writer/dialect/dialect';
import { compareVersions, serverLabel, type ServerInfo } from '../writer/dialect/server-info';
import { maxRdbVersionFor } from '../writer/rdb-version';

export interface PrecheckInput {
  spec: TaskSpec;
  source: NodeFacts[];
  destination: NodeFacts[];
  /** source.readFrom's facts, when the stream is taken from a replica. */
  replica?: NodeFacts;
  /** The task has a checkpoint: the destination's keys are its own, so an empty destination is not required. */
  resuming: boolean;
  /** What the source holds that the destination cannot take (read by run-prechecks; absent: not looked at). */
  unsupported?: UnsupportedFinding[];
}

const MIN_REPL_TIMEOUT = 600;
const MIN_BACKLOG = 64 * 1024 * 1024;

export { compareVersions };

export const serverOf = (f: NodeFacts): ServerInfo => f.server ?? { flavor: 'redis', version: f.version, redisVersion: f.version };

type Check = (input: PrecheckInput) => PrecheckItem[];

const pass = (id: string, message: string, node?: string): PrecheckItem => ({ id, result: 'passed', message, ...(node ? { node } : {}) });
const warn = (id: string, message: string, node?: string): PrecheckItem => ({ id, result: 'warning', message, node });
const fail = (id: string, message: string, node?: string): PrecheckItem => ({ id, result: 'failed', message, node });

const connectivity: Check = ({ source, destination }) =>
  [...source.map((f) => ['source', f] as const), ...destination.map((f) => ['destination', f] as const)].map(([side, f]) =>
    f.error ? fail(`${side}-connectivity`, f.error, f.node) : pass(`${side}-connectivity`, `connected and authenticated to ${f.node}`, f.node));

const reachable = (facts: NodeFacts[]): NodeFacts[] => facts.filter((f) => !f.error);

const sourceVersion: Check = ({ source }) => reachable(source).map((f) =>
  compareVersions(f.version, '2.8.0') < 0
    ? fail('source-version', `source ${f.node} runs Redis ${f.version}; PSYNC needs 2.8 or later: upgrade the source`, f.node)
    : pass('source-version', `source ${f.node} runs ${serverLabel(serverOf(f))}`, f.node));

const sourcePsync: Check = ({ source }) => reachable(source).map((f) =>
  f.psyncAvailable === false
    ? fail('source-psync', f.psyncCommand === 'PSYNC'
      ? `PSYNC is disabled or renamed on source ${f.node} (rename-command): set source.psyncCommand to its new name (managed services tell it), or restore it`
      : `source ${f.node} has no command "${f.psyncCommand}" (source.psyncCommand): use the name PSYNC was renamed to there`, f.node)
    : pass('source-psync', f.psyncCommand === 'PSYNC' ? `PSYNC is available on ${f.node}`
      : `${f.psyncCommand} is available on ${f.node} (Redis serves a renamed PSYNC as SYNC: unless the service changed that, every reconnection is a full sync)`, f.node));

/**
 * What matters is not which release is newer but what the destination can take: the RDB format its RESTORE loads
 * (else keys are rewritten as commands, slower) and its commands (the dialect writes every command in a form it
 * accepts; what has no equivalent is destination-unsupported-data's).
 */
const destinationVersion: Check = ({ source, destination }) => {
  const src = reachable(source);
  if (!src.length) return [];
  const newest = src.map(serverOf).sort((a, b) => compareVersions(a.redisVersion, b.redisVersion)).at(-1)!;
  const sourceRdb = maxRdbVersionFor(newest.redisVersion);
  return reachable(destination).map((f) => {
    const d = dialectFor(serverOf(f));
    const both = `destination ${f.node} (${serverLabel(d.server)}), source ${serverLabel(newest)}`;
    if (compareVersions(d.server.redisVersion, '2.8.0') < 0) {
      return fail('destination-version', `${both}: destinations before Redis 2.8 are not supported: upgrade the destination`, f.node);
    }
    return d.rdbVersion < sourceRdb
      ? warn('destination-version', `${both}: the destination cannot RESTORE the source's RDB ${sourceRdb} values (it loads RDB ${d.rdbVersion}), so the full sync rewrites keys as commands (slower); commands are written in a form it accepts`, f.node)
      : pass('destination-version', `${both}: RESTORE of the source's RDB ${sourceRdb} values works; commands are written in a form the destination accepts`, f.node);
  });
};

const unsupportedData: Check = ({ unsupported }) => {
  if (!unsupported) return [];
  if (!unsupported.length) return [pass(UNSUPPORTED_DATA_CHECK, 'the destination can hold every type, command and function the source has')];
  return unsupported.map((u) => fail(UNSUPPORTED_DATA_CHECK,
    `source ${u.node} has ${u.atLeast ? 'at least ' : ''}${u.count} ${u.what} (${u.examples.join(', ')}${u.count > u.examples.length ? ', ...' : ''}) and the destination cannot hold them: ${u.why}. Upgrade the destination, or ignore this check to skip them (each named in a warning)`, u.node));
};

const sourceReplication: Check = ({ source }) => reachable(source).flatMap((f) => {
  const items: PrecheckItem[] = [];
  if (f.replTimeout !== null && f.replTimeout < MIN_REPL_TIMEOUT) {
    items.push(warn('source-repl-timeout', `repl-timeout is ${f.replTimeout} s on ${f.node}: a large full sync may time out. Run CONFIG SET repl-timeout ${MIN_REPL_TIMEOUT}`, f.node));
  }
  if (f.replBacklogSize !== null && f.replBacklogSize < MIN_BACKLOG) {
    items.push(warn('source-repl-backlog-size', `repl-backlog-size is ${f.replBacklogSize} bytes on ${f.node}: a short outage may force a full resync. Run CONFIG SET repl-backlog-size 256mb`, f.node));
  }
  return items.length ? items : [pass('source-replication-config', `repl-timeout and repl-backlog-size are adequate on ${f.node}`, f.node)];
});

const destinationMemory: Check = ({ source, destination }) => {
  const used = reachable(source).reduce((s, f) => s + f.usedMemory, 0);
  const dest = reachable(destination);
  const limit = dest.reduce((s, f) => s + f.maxmemory, 0);
  if (!dest.length || dest.some((f) => f.maxmemory === 0)) return [pass('destination-memory', 'destination has no maxmemory limit')];
  return [limit < used
    ? fail('destination-memory', `destination maxmemory (${limit} bytes) is smaller than what the source uses (${used} bytes): raise maxmemory or use a larger instance`)
    : pass('destination-memory', `destination maxmemory ${limit} bytes >= source used memory ${used} bytes`)];
};

const destinationPolicy: Check = ({ destination }) => reachable(destination).map((f) =>
  f.maxmemoryPolicy !== null && f.maxmemoryPolicy !== 'noeviction'
    ? warn('destination-maxmemory-policy', `maxmemory-policy is ${f.maxmemoryPolicy} on ${f.node}: eviction would make the destination inconsistent. Run CONFIG SET maxmemory-policy noeviction`, f.node)
    : pass('destination-maxmemory-policy', `maxmemory-policy is ${f.maxmemoryPolicy ?? 'unknown'} on ${f.node}`, f.node));

const destinationEmpty: Check = ({ spec, destination, resuming }) => {
  if (resuming || (spec.existingData ?? 'precheckAndReportErrors') === 'ignoreErrorsAndProceed') return [];
  const mapping = spec.databaseMapping ?? {};
  const targets = spec.databases ? new Set(spec.databases.map((db) => mapping[String(db)] ?? db)) : null;
  return reachable(destination).map((f) => {
    const busy = [...f.keyspace].filter(([db, n]) => n > 0 && (targets === null || targets.has(db)));
    return busy.length
      ? fail('destination-empty', `destination ${f.node} already has keys (${busy.map(([db, n]) => `db${db}: ${n}`).join(', ')}): empty it, or set existingData to "ignoreErrorsAndProceed" to overwrite keys with the same names`, f.node)
      : pass('destination-empty', `destination ${f.node} has no keys in the target databases`, f.node);
  });
};

const notSameInstance: Check = ({ source, destination }) => {
  const items: PrecheckItem[] = [];
  for (const s of reachable(source)) {
    for (const d of reachable(destination)) {
      if (s.runId && s.runId === d.runId) items.push(fail('source-is-destination', `source ${s.node} and destination ${d.node} are the same server (same run_id): the task would copy a server onto itself`, d.node));
      if (d.role === 'slave' && `${d.masterHost}:${d.masterPort}` === s.node) items.push(fail('destination-is-replica', `destination ${d.node} is a replica of source ${s.node}: writes would loop or be refused`, d.node));
    }
  }
  return items.length ? items : [pass('source-is-destination', 'source and destination are different servers')];
};

const architecture: Check = ({ spec, source, destination }) => [
  ...reachable(source).map((f) => ['source', spec.source.mode, f] as const),
  ...reachable(destination).map((f) => ['destination', spec.destination.mode, f] as const),
].map(([side, mode, f]) => {
  const actual = f.clusterEnabled ? 'cluster' : 'standalone';
  return actual !== mode
    ? fail(`${side}-mode`, `${side} ${f.node} is a ${actual} instance but the spec says mode "${mode}": set ${side}.mode to "${actual}"`, f.node)
    : pass(`${side}-mode`, `${side} ${f.node} is ${actual}`, f.node);
});

const aclSupport: Check = ({ spec, source, destination }) => {
  if (!spec.access?.createUsers) return [];
  return reachable([...source, ...destination]).map((f) =>
    compareVersions(f.version, '6.0.0') < 0
      ? fail('access-acl', `${f.node} runs ${serverLabel(serverOf(f))}, which has no ACLs: set access.createUsers to false and give the task a password`, f.node)
      : pass('access-acl', `${f.node} supports ACL users`, f.node));
};

/** source.readFrom must be a replica whose link to its master is up, or the stream would not be the source's. */
const sourceReplica: Check = ({ replica }) => {
  if (!replica) return [];
  if (replica.error) return [fail('source-replica', `source.readFrom: ${replica.error}`, replica.node)];
  if (replica.role !== 'slave') return [fail('source-replica', `source.readFrom ${replica.node} is a ${replica.role}, not a replica of the source: name one of the source master's replicas`, replica.node)];
  if (replica.masterLinkUp === false) return [fail('source-replica', `source.readFrom ${replica.node} has no link to its master (master_link_status down): wait for it to sync, or name another replica`, replica.node)];
  return [pass('source-replica', `source.readFrom ${replica.node} is a replica of ${replica.masterHost}:${replica.masterPort}`, replica.node)];
};

export const CHECKS: Check[] = [
  connectivity, architecture, sourceVersion, sourcePsync, destinationVersion, unsupportedData, sourceReplication,
  destinationMemory, destinationPolicy, destinationEmpty, notSameInstance, aclSupport, sourceReplica,
];

export function evaluate(input: PrecheckInput): PrecheckItem[] {
  const ignored = new Set(input.spec.ignorePrechecks ?? []);
  return CHECKS.flatMap((c) => c(input)).map((item) =>
    item.result !== 'passed' && ignored.has(item.id) ? { ...item, result: 'ignored' as const, message: `${item.message} (ignored by ignorePrechecks)` } : item);
}
