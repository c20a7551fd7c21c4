// The RedisSyncTask dynamic provider's implementation. The SDK's serialized provider only loads this module and calls
// it, so what Pulumi stores in the state stays a few lines long whatever this file grows into.
import { hostname, networkInterfaces } from 'node:os';
import { rmSync } from 'node:fs';
import type { TaskSpec } from '../spec/types';
import { specProblems } from '../spec/validate';
import { resolveTask, staticProblems } from '../spec/resolve';
import { defaultStateDir, taskPaths } from '../state/files';
import { maxLagMs, type PrecheckItem, type TaskStatus } from '../state/status';
import { runPrechecks, formatPrecheckTable } from '../precheck/run-prechecks';
import { withClient, scanMatch } from '../precheck/node-facts';
import { discoverCluster } from '../cluster/topology';
import type { NodeAddress } from '../spec/types';
import { checkpointKey } from '../task/tx-batch';
import { spawnDaemon, stopDaemon, daemonPid, readStatus, isAlive } from '../daemon/daemon-process';
import { grantAccess, revokeAccess } from '../access/acl-users';
import { propsToSpec, containsUnknown, OUTPUT_KEYS, type TaskProps } from './props';

type Props = Record<string, unknown>;

export interface CheckFailure { property: string; reason: string }

function stateDirOf(props: Props): string {
  return typeof props.stateDir === 'string' ? props.stateDir : defaultStateDir();
}

// ---- check ----

export async function check(_olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
  const spec = propsToSpec(news);
  // During preview a value computed by another resource is unknown: it is checked when it is known.
  const problems = specProblems(spec).filter((p) => !containsUnknown(valueAt(spec, p.path)));
  const failures = problems.map((p) => ({ property: p.path || 'name', reason: `${p.path || '(task)'}: ${p.message}` }));
  if (!containsUnknown(spec)) {
    for (const p of staticProblemsSafe(spec)) {
      if (!failures.some((f) => f.property === p.path)) failures.push({ property: p.path, reason: `${p.path}: ${p.message}` });
    }
  }
  return { inputs: news, failures };
}

/** The static rules assume the schema's shapes; on a spec that failed the schema they may find nothing to say. */
function staticProblemsSafe(spec: TaskSpec): ReturnType<typeof staticProblems> {
  try {
    return staticProblems(spec);
  } catch {
    return [];
  }
}

function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split(/\.|\[(\d+)\]/).filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

// ---- diff ----

/** Changing these makes another task: a different destination identity, data layout or task identity. */
const REPLACE_KEYS = ['name', 'databases', 'databaseMapping', 'stateDir'];

export async function diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !OUTPUT_KEYS.has(k) && k !== '__provider'));
  const changed = [...keys].filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
  const replaces = changed.filter((k) => REPLACE_KEYS.includes(k));
  for (const side of ['source', 'destination'] as const) {
    const o = olds[side] as TaskProps['source'] | undefined;
    const n = news[side] as TaskProps['source'] | undefined;
    if (o && n && o.mode !== n.mode) replaces.push(side);
  }
  // A daemon that is gone while the task should run is restarted by the next `pulumi up`.
  const daemonGone = olds.daemonRunning === false;
  return { changes: changed.length > 0 || daemonGone, replaces, deleteBeforeReplace: replaces.length > 0 };
}

// ---- create ----

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const spec = propsToSpec(inputs);
  const stateDir = stateDirOf(inputs);
  const prechecks = await runPrechecks(spec, { resuming: false });
  failOnPrechecks(spec, prechecks);
  warn(prechecks);
  try {
    await startAndWait(spec, stateDir);
  } catch (err) {
    await cleanup(spec, stateDir);
    throw err;
  }
  return { id: spec.name, outs: outputs(inputs, stateDir, prechecks) };
}

function failOnPrechecks(spec: TaskSpec, items: PrecheckItem[]): void {
  if (items.some((i) => i.result === 'failed')) {
    throw new Error(`prechecks failed for task "${spec.name}" (fix the items below, or list their ids in ignorePrechecks):\n${formatPrecheckTable(items)}`);
  }
}

function warn(items: PrecheckItem[]): void {
  const warnings = items.filter((i) => i.result === 'warning');
  if (!warnings.length) return;
  try {
    // Loaded only here: the provider process has the SDK, and a log failure must not fail the task.
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    for (const w of warnings) void pulumi.log.warn(`precheck ${w.id}: ${w.message}`);
  } catch {
    /* the warnings are in the outputs too */
  }
}

/** The provider ran the prechecks just now, so the daemon skips them (its restarts must not fail on its own keys). */
async function startAndWait(spec: TaskSpec, stateDir: string): Promise<void> {
  const daemonSpec = spec.access?.createUsers ? await grantAccess(spec) : spec;
  const pid = await spawnDaemon(daemonSpec, stateDir, ['--skip-prechecks']);
  const waitFor = spec.waitFor ?? 'synchronizing';
  const timeoutMs = (spec.waitTimeoutSeconds ?? 600) * 1000;
  const deadline = Date.now() + timeoutMs;
  let last: TaskStatus | null = null;
  for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) {
    // The status file of a predecessor may still be there: only the new daemon's own status counts.
    const status = readStatus(stateDir, spec.name);
    last = status?.pid === pid ? status : null;
    const alive = isAlive(pid);
    if (last?.state === 'Failed') {
      throw new Error(`task "${spec.name}" failed: ${last.lastError?.message ?? 'unknown error'}. See \`redis-sync status ${spec.name} --state-dir ${stateDir}\` and \`redis-sync logs ${spec.name} --state-dir ${stateDir}\` (docs/troubleshooting.md); fix the cause and run pulumi up again: the task resumes from its checkpoint`);
    }
    if (last && alive && (waitFor === 'started' || last.state === 'Synchronizing')) return;
    if (!alive && i > 20) throw new Error(`the redis-sync daemon of task "${spec.name}" exited before it started: see its log, \`redis-sync logs ${spec.name} --state-dir ${stateDir}\` (${taskPaths(stateDir, spec.name).log})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task "${spec.name}" did not reach ${waitFor} within ${timeoutMs / 1000} s (state ${last?.state ?? 'unknown'}); watch it with \`redis-sync status ${spec.name} --watch --state-dir ${stateDir}\`, then raise waitTimeoutSeconds or set waitFor: "started"`);
}

// ---- read ----

export async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  return { id, props: outputs(props, stateDirOf(props), null) };
}

function outputs(inputs: Props, stateDir: string, prechecks: PrecheckItem[] | null): Props {
  const name = String(inputs.name);
  const status = readStatus(stateDir, name);
  const pid = daemonPid(stateDir, name);
  const running = pid !== null;
  return {
    ...Object.fromEntries(Object.entries(inputs).filter(([k]) => !OUTPUT_KEYS.has(k))),
    state: running ? status?.state ?? 'Starting' : status?.state === 'Failed' ? 'Failed' : 'DaemonNotRunning',
    daemonPid: pid ?? 0,
    daemonRunning: running,
    daemonHost: daemonHost(),
    lagMs: maxLagMs(status),
    streams: (status?.nodes ?? []).map((n) => ({
      node: n.node, state: n.state, replid: n.replid, appliedOffset: n.appliedOffset, receivedOffset: n.receivedOffset,
      lastSync: n.lastSync, lagMs: n.lagMs, fullSync: n.fullSync, commandsApplied: n.commandsApplied, reconnects: n.reconnects,
    })),
    lastError: status?.lastError?.message ?? null,
    prechecks: prechecks ?? (inputs.prechecks as PrecheckItem[] | undefined) ?? status?.prechecks ?? [],
    warnings: (prechecks ?? status?.prechecks ?? []).filter((p) => p.result === 'warning').map((p) => `${p.id}: ${p.message}`),
    statusUpdatedAt: status?.updatedAt ?? null,
  };
}

/** The addresses a network allow-list of a managed Redis must admit: this host's. */
function daemonHost(): { hostname: string; addresses: string[] } {
  const addresses = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal).map((a) => a!.address);
  return { hostname: hostname(), addresses };
}

// ---- update ----

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const spec = propsToSpec(news);
  const stateDir = stateDirOf(news);
  await stopDaemon(stateDir, spec.name);
  if (news.clearDestinationOnUpdate === true) await clearDestination(spec, stateDir);
  const prechecks = await runPrechecks(spec, { resuming: news.clearDestinationOnUpdate !== true });
  failOnPrechecks(spec, prechecks);
  warn(prechecks);
  await startAndWait(spec, stateDir);
  void id;
  void olds;
  return { outs: outputs(news, stateDir, prechecks) };
}

/** Empties the synchronized databases and forgets the checkpoint, so the restarted task syncs in full. */
async function clearDestination(spec: TaskSpec, stateDir: string): Promise<void> {
  const task = resolveTask(spec);
  for (const node of task.destinationNodes) {
    await withClient(node, async (c) => {
      if (task.databases === null) await c.flushall();
      else for (const db of task.databases) { await c.select(task.mapDb(db)); await c.flushdb(); }
    });
  }
  rmSync(taskPaths(stateDir, spec.name).checkpoint, { force: true });
}

// ---- delete ----

export async function deleteTask(_id: string, props: Props): Promise<void> {
  const spec = propsToSpec(props);
  await cleanup(spec, stateDirOf(props));
}

/** Stops the daemon and removes what the task added; every step tolerates what is already gone. */
async function cleanup(spec: TaskSpec, stateDir: string): Promise<void> {
  await stopDaemon(stateDir, spec.name);
  const task = resolveTask(spec);
  const heartbeatDb = task.heartbeat.db ?? 0;
  const sources = await nodesOf(spec.source.mode, task.sourceNodes);
  await Promise.all(sources.map((n) => bestEffort(() => withClient(n, async (c) => {
    await c.select(heartbeatDb);
    const keys = await scanMatch(c, `${task.heartbeat.key}*`);
    if (keys.length) await c.del(...keys);
  }))));
  const ckDb = task.mapDb(task.databases?.[0] ?? 0);
  await Promise.all(task.destinationNodes.map((n) => bestEffort(() => withClient(n, async (c) => {
    await c.select(ckDb);
    const keys = await scanMatch(c, `${checkpointKey(task.name, '')}*`);
    if (keys.length) await c.del(...keys);
  }))));
  if (spec.access?.createUsers) await revokeAccess(spec);
  rmSync(taskPaths(stateDir, spec.name).dir, { recursive: true, force: true });
}

/** Every master of a cluster (heartbeat keys live on each), or the nodes as given. */
async function nodesOf(mode: string, seeds: NodeAddress[]): Promise<NodeAddress[]> {
  if (mode !== 'cluster') return seeds;
  try {
    return (await discoverCluster(seeds)).masters.map((m) => m.address);
  } catch {
    return seeds;
  }
}

async function bestEffort(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch {
    /* a server that is gone has nothing left to clean */
  }
}
