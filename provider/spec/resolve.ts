// Turns a validated spec into the settings the engine runs with: defaults filled in, credentials split, nodes parsed.
import type { EndpointSpec, NodeAddress, SourceSpec, TaskSpec } from './types';
import { parseHostPort } from './address';
import { SpecError, type SpecProblem } from './validate';
import { defaultHeartbeatKey } from '../state/task-keys';
import { keyFilterProblems } from './key-filter-problems';
import { tlsSettingsOf } from './tls-options';
import { DEFAULT_MAX_ARRAY_LENGTH } from '../resp/command-parser';
import { DEFAULT_BIG_KEY_BYTES } from '../writer/key-commands';

/** The task's identity: unique per task (Pulumi generates one per resource), unlike the display name. */
export function taskIdOf(spec: Pick<TaskSpec, 'id' | 'name'>): string {
  return spec.id ?? spec.name;
}

export interface Credentials { username?: string; password?: string }

export interface ResolvedTask {
  spec: TaskSpec;
  name: string;
  /** What the task's keys, lease, ACL users and state dir are named by: `id`, or the name when none is given. */
  id: string;
  /** The live source's nodes; [] for a source that is an RDB file only. */
  sourceNodes: NodeAddress[];
  /** source.rdbFile: the RDB file loaded as the snapshot (then the live source's stream, when it has nodes); null: none. */
  rdbFile: string | null;
  /** source.readFrom: the replica the replication link connects to (the heartbeat still goes to the master). */
  sourceReplica: NodeAddress | null;
  destinationNodes: NodeAddress[];
  /** null means every database. */
  databases: number[] | null;
  mapDb(sourceDb: number): number;
  heartbeat: { enabled: boolean; key: string; intervalMs: number; db: number | null };
  tuning: { pipelineCommands: number; pipelineBytes: number; bigKeyBytes: number; rewriteChunkElements: number; maxCommandArgs: number; clusterExactlyOnce: boolean };
  connectionRetryMs: number;
  forwardPublish: boolean;
}

/**
 * The live server of the source, or null when the source is an RDB file only. staticProblems makes mode and nodes
 * come together, so a source with nodes is a whole endpoint.
 */
export function liveSource(source: SourceSpec): EndpointSpec | null {
  const { rdbFile: _file, mode, nodes, ...rest } = source;
  return mode !== undefined && nodes !== undefined ? { ...rest, mode, nodes } : null;
}

/** The live source, for what cannot work without one (verify against a server, cutover, ACL users): else a clear error. */
export function requireLiveSource(source: SourceSpec, what: string): EndpointSpec {
  const live = liveSource(source);
  if (!live) throw new Error(`${what} needs a live source (source.mode and source.nodes); this task's source is the RDB file ${source.rdbFile ?? '(none)'} only`);
  return live;
}

/** The DTS console takes "user:password" in the password field; we accept it where no username is given. */
export function credentials(ep: EndpointSpec): Credentials {
  if (ep.password === undefined) return { username: ep.username };
  if (ep.username !== undefined) return { username: ep.username, password: ep.password };
  const colon = ep.password.indexOf(':');
  if (colon > 0) return { username: ep.password.slice(0, colon), password: ep.password.slice(colon + 1) };
  return { password: ep.password };
}

export function endpointNodes(ep: EndpointSpec, where: string): NodeAddress[] {
  const cred = credentials(ep);
  const psync = ep.psyncCommand !== undefined ? { psyncCommand: ep.psyncCommand } : {};
  const tlsSettings = tlsSettingsOf(ep, where);
  return ep.nodes.map((n, i) => ({ ...parseHostPort(n, `${where}.nodes[${i}]`), ...cred, tls: ep.tls ?? false, ...(tlsSettings ? { tlsSettings } : {}), ...psync }));
}

/** Ports above 65535 pass the schema's pattern; parsing catches them. */
function addressProblems(spec: TaskSpec): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const side of ['source', 'destination'] as const) {
    (spec[side]?.nodes ?? []).forEach((n: unknown, i: number) => {
      try {
        if (typeof n === 'string') parseHostPort(n);
      } catch {
        out.push({ path: `${side}.nodes[${i}]`, message: `"${n}" must be "host:port" with a port from 1 to 65535 (IPv6 as "[::1]:6379")` });
      }
    });
  }
  return out;
}

/** Rules a JSON schema cannot say; each problem names its property path. */
export function staticProblems(spec: TaskSpec): SpecProblem[] {
  const problems: SpecProblem[] = [...addressProblems(spec), ...keyFilterProblems(spec.keyFilter), ...rdbFileProblems(spec)];
  const dbs = spec.databases ?? null;
  const mapping = spec.databaseMapping ?? {};
  if (spec.source.mode === 'standalone' && (spec.source.nodes?.length ?? 0) > 1) {
    problems.push({ path: 'source.nodes', message: 'a standalone source has one master: list only its "host:port" (replicas are not needed)' });
  }
  for (const side of ['source', 'destination'] as const) {
    const ep = spec[side];
    const set = (['tlsCa', 'tlsCert', 'tlsKey', 'tlsServerName', 'tlsVerify'] as const).filter((k) => ep[k] !== undefined);
    if (set.length && !ep.tls) problems.push({ path: `${side}.tls`, message: `must be true when ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set` });
    if ((ep.tlsCert === undefined) !== (ep.tlsKey === undefined)) problems.push({ path: `${side}.${ep.tlsCert === undefined ? 'tlsCert' : 'tlsKey'}`, message: 'is required with tlsCert/tlsKey: a client certificate needs its key and the key its certificate' });
  }
  for (const side of ['source', 'destination'] as const) {
    if (spec[side].mode !== 'sentinel') continue;
    if (spec.access?.createUsers) problems.push({ path: 'access.createUsers', message: `is not supported with a "sentinel" ${side} yet: create the ACL users on its master and replicas yourself` });
    if (!spec[side].masterName) problems.push({ path: `${side}.masterName`, message: 'is required with mode "sentinel": the name the sentinels monitor the master by' });
  }
  for (const side of ['source', 'destination'] as const) {
    if (spec[side].masterName !== undefined && spec[side].mode !== 'sentinel') problems.push({ path: `${side}.masterName`, message: 'applies to mode "sentinel" only' });
  }
  if (spec.cutover?.reverse) problems.push(...reverseProblems(spec));
  if (spec.destination.readFrom !== undefined) problems.push({ path: 'destination.readFrom', message: 'only the source is replicated from: set readFrom on the source' });
  if (spec.source.readFrom !== undefined && spec.source.mode !== 'standalone') {
    problems.push({ path: 'source.readFrom', message: 'reading from a replica is supported for a standalone source only' });
  }
  if (spec.destination.psyncCommand !== undefined) {
    problems.push({ path: 'destination.psyncCommand', message: 'only the source is replicated from: set psyncCommand on the source' });
  }
  if (spec.destination.mode === 'standalone' && spec.destination.nodes.length > 1) {
    problems.push({ path: 'destination.nodes', message: 'a standalone destination has one master: list only its "host:port"' });
  }
  if (spec.destination.mode === 'cluster') {
    const targets = new Set((dbs ?? [0]).map((db) => mapping[String(db)] ?? db));
    if (dbs === null && spec.source.mode !== 'cluster') {
      problems.push({ path: 'databases', message: 'a cluster destination has only database 0: list the source databases to copy (e.g. [0]) and map others with databaseMapping' });
    } else if ([...targets].some((t) => t !== 0)) {
      problems.push({ path: 'databaseMapping', message: 'a cluster destination has only database 0: map every synchronized source database to 0, e.g. {"1": 0}' });
    }
  }
  for (const key of Object.keys(mapping)) {
    if (dbs !== null && !dbs.includes(Number(key))) {
      problems.push({ path: `databaseMapping.${key}`, message: `database ${key} is not in databases, so the mapping would never apply` });
    }
  }
  if (dbs !== null && spec.heartbeat?.db !== undefined && !dbs.includes(spec.heartbeat.db)) {
    problems.push({ path: 'heartbeat.db', message: 'must be one of the synchronized databases, or the lag cannot be measured' });
  }
  return problems;
}

/**
 * Why the task cannot be reversed at its cutover (cutover.reverse, provider/cutover/reverse.ts): renamed keys and a
 * mapping that merges databases cannot be inverted, and the reverse task writes the source's master.
 */
function reverseProblems(spec: TaskSpec): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  if (spec.keyRenames?.length) out.push({ path: 'cutover.reverse', message: 'cannot be combined with keyRenames: a renamed key cannot be carried back under its source name' });
  const mapping = spec.databaseMapping ?? {};
  // Without a databases list, every db: those the mapping names, the unmapped ones mapping onto themselves.
  const dbs = spec.databases ?? [...new Set([...Object.keys(mapping).map(Number), ...Object.values(mapping)])];
  const targets = dbs.map((db) => mapping[String(db)] ?? db);
  if (new Set(targets).size !== targets.length) out.push({ path: 'cutover.reverse', message: 'needs a databaseMapping that maps each source db to its own destination db: two source dbs merged into one cannot be split back' });
  if (spec.source.readFrom !== undefined) out.push({ path: 'cutover.reverse', message: 'cannot be combined with source.readFrom: the reverse task writes the source\'s master, remove readFrom first' });
  return out;
}

/** What a source that is (or starts with) an RDB file allows; mode and nodes come together either way. */
function rdbFileProblems(spec: TaskSpec): SpecProblem[] {
  const src = spec.source;
  const out: SpecProblem[] = [];
  if ('rdbFile' in spec.destination) out.push({ path: 'destination.rdbFile', message: 'only the source is read from a file: set rdbFile on the source' });
  if (src.rdbFile === undefined) {
    for (const k of ['mode', 'nodes'] as const) if (src[k] === undefined) out.push({ path: `source.${k}`, message: 'is required (or source.rdbFile, to load an RDB file)' });
    return out;
  }
  if ((src.mode === undefined) !== (src.nodes === undefined)) {
    out.push({ path: `source.${src.mode === undefined ? 'mode' : 'nodes'}`, message: 'is required with rdbFile and ' + (src.mode === undefined ? 'nodes' : 'mode') + ': they name the server whose stream continues after the file' });
  }
  if (src.mode === 'cluster') out.push({ path: 'source.mode', message: 'an RDB file is one master\'s snapshot: with rdbFile the source is "standalone" or "sentinel" (the server the file came from), or has no mode and nodes' });
  if (src.psyncCommand !== undefined) out.push({ path: 'source.psyncCommand', message: 'cannot follow an RDB file: a renamed PSYNC is served as SYNC, which has no +CONTINUE from the file\'s offset' });
  if (src.nodes === undefined) {
    const live = 'needs a live source (source.mode and source.nodes): this source is an RDB file only';
    if (spec.access?.createUsers) out.push({ path: 'access.createUsers', message: live });
    if (spec.cutover !== undefined) out.push({ path: 'cutover', message: live });
    if (spec.verify !== undefined) out.push({ path: 'verify', message: `${live}; run redis-sync verify once the file is loaded to compare the destination with the file` });
    if (spec.heartbeat?.enabled) out.push({ path: 'heartbeat.enabled', message: live });
  }
  return out;
}

export function resolveTask(spec: TaskSpec): ResolvedTask {
  const problems = staticProblems(spec);
  if (problems.length) throw new SpecError(problems);
  const mapping = spec.databaseMapping ?? {};
  const databases = spec.databases ? [...spec.databases].sort((a, b) => a - b) : null;
  const live = liveSource(spec.source);
  return {
    spec,
    name: spec.name,
    id: taskIdOf(spec),
    sourceNodes: live ? endpointNodes(live, 'source') : [],
    rdbFile: spec.source.rdbFile ?? null,
    sourceReplica: !live || live.readFrom === undefined || live.readFrom === 'any' ? null : endpointNodes({ ...live, nodes: [live.readFrom] }, 'source.readFrom')[0],
    destinationNodes: endpointNodes(spec.destination, 'destination'),
    databases,
    mapDb: (db) => mapping[String(db)] ?? db,
    heartbeat: {
      // A file-only source has no server to write the heartbeat on.
      enabled: live !== null && (spec.heartbeat?.enabled ?? true),
      key: spec.heartbeat?.key ?? defaultHeartbeatKey(taskIdOf(spec)),
      intervalMs: spec.heartbeat?.intervalMs ?? 1000,
      db: spec.heartbeat?.db ?? (databases ? databases[0] : null),
    },
    tuning: {
      pipelineCommands: spec.tuning?.pipelineCommands ?? 2000,
      pipelineBytes: spec.tuning?.pipelineBytes ?? 4 * 1024 * 1024,
      bigKeyBytes: spec.tuning?.bigKeyBytes ?? DEFAULT_BIG_KEY_BYTES,
      rewriteChunkElements: spec.tuning?.rewriteChunkElements ?? 512,
      maxCommandArgs: spec.tuning?.maxCommandArgs ?? DEFAULT_MAX_ARRAY_LENGTH,
      clusterExactlyOnce: spec.tuning?.clusterExactlyOnce ?? true,
    },
    connectionRetryMs: (spec.connectionRetryMinutes ?? 720) * 60_000,
    forwardPublish: spec.forwardPublish ?? false,
  };
}
