// The RedisSyncTask dynamic provider's implementation. The SDK's serialized provider only loads this module and calls
// it, so what Pulumi stores in the state stays a few lines long whatever this file grows into.
import { hostname } from 'node:os';
import { hostAddresses } from '../state/host';
import { randomBytes } from 'node:crypto';
import type { TaskSpec } from '../spec/types';
import { specProblems } from '../spec/validate';
import { requireLiveSource, resolveTask, staticProblems, liveSource } from '../spec/resolve';
import { defaultStateDir } from '../state/files';
import { maxLagMs, type PrecheckItem, type TaskStatus } from '../state/status';
import { formatPrecheckTable } from '../precheck/run-prechecks';
import { withClient, scanMatch } from '../precheck/node-facts';
import { endpointMasters } from '../cluster/topology';
import type { NodeAddress } from '../spec/types';
import { destinationKeyPatterns, TASK_META_DB } from '../state/task-keys';
import { readRemoteTask, stopRemoteTask, type RemoteTask } from '../state/remote-task';
import { describeHolder } from '../state/lease';
import { destinationHasCheckpoint } from '../precheck/run-prechecks';
import { runnerFor, sameRunner } from '../runner/select-runner';
import type { Runner } from '../runner/runner';
import { grantAccess, revokeAccess } from '../access/acl-users';
import { withSentinelMaster } from '../sentinel/sentinel-master';
import { propsToSpec, containsUnknown, OUTPUT_KEYS } from './props';
import { runCutover, type CutoverResult } from '../cutover/cutover';
import { reverseSpec, anchorPositions, seedCheckpoints, reverseStart, ensureBacklogs } from '../cutover/reverse';

type Props = Record<string, unknown>;

export interface CheckFailure { property: string; reason: string }

function stateDirOf(props: Props): string {
  return typeof props.stateDir === 'string' ? props.stateDir : defaultStateDir();
}

/** The runner of a task's props: its SSH host key is the spec's, else the one kept in the state at create. */
function runnerOf(props: Props): Runner {
  const pinned = typeof props.runnerHostKey === 'string' ? props.runnerHostKey : null;
  return runnerFor(propsToSpec(props), stateDirOf(props), pinned);
}

async function withRunner<T>(props: Props, fn: (r: Runner) => Promise<T>): Promise<T> {
  const runner = runnerOf(props);
  try {
    return await fn(runner);
  } finally {
    runner.close();
  }
}

// ---- check ----

export async function check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
  const spec = propsToSpec(news);
  // During preview a value computed by another resource is unknown: it is checked when it is known.
  const problems = specProblems(spec).filter((p) => !containsUnknown(valueAt(spec, p.path)));
  const failures = problems.map((p) => ({ property: p.path || 'name', reason: `${p.path || '(task)'}: ${p.message}` }));
  if (!containsUnknown(spec)) {
    for (const p of staticProblemsSafe(spec)) {
      if (!failures.some((f) => f.property === p.path)) failures.push({ property: p.path, reason: `${p.path}: ${p.message}` });
    }
  }
  // A sync host that cannot run the daemon (host key, key, network, Node) fails the preview, before anything is made.
  if (spec.runner?.ssh && !containsUnknown(spec.runner) && failures.length === 0) {
    const reason = await withRunner({ ...news, runnerHostKey: olds.runnerHostKey }, (r) => r.probe()).then(() => null, (e: Error) => e.message);
    if (reason) failures.push({ property: 'runner', reason: `runner.ssh: ${reason}` });
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

/**
 * Every change is an update of the same task (same id, same keys): a new layout (databases, mapping, a mode) is
 * re-copied in full by the update, so the task's own keys never fail its successor's destination-empty precheck.
 */
export async function diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  if (changedInputs(olds, news).length > 0 || containsUnknown(news)) return { changes: true, replaces: [], deleteBeforeReplace: false };
  // Unchanged inputs, but a task whose daemon is gone (anywhere: its lease expired) is restarted by this `up`: the
  // task itself, or its reverse task once cut over with reverse (the task itself stopped on purpose then).
  const active = activeSpec(id, olds);
  const why = await whyNotRunning(active);
  if (why) info(`${active.name}: ${why}: pulumi up restarts it from its checkpoint`);
  return { changes: why !== null, replaces: [], deleteBeforeReplace: false };
}

/** Why the task is not running, or null when a daemon holds its lease (or its destination cannot be asked). */
async function whyNotRunning(spec: TaskSpec): Promise<string | null> {
  const remote = await readRemote(spec);
  if (remote?.holder && remote.holder.host !== hostname()) info(`${spec.name}: runs on ${describeHolder(remote.holder)}: nothing to start here`);
  if (!remote || remote.holder) return null;
  const s = remote.status;
  if (!s) return 'daemon not running (no status on the destination)';
  if (s.state === 'Failed') return `task failed: ${s.lastError?.message ?? 'unknown error'}`;
  return `daemon not running (owner host ${s.host ?? 'unknown'}, pid ${s.pid}, last seen ${s.updatedAt})`;
}

function withId(spec: TaskSpec, id: string): TaskSpec {
  return { ...spec, id };
}

/** The reverse task of a cutover with reverse, rebuilt from the inputs and where the cutover started it. */
function reverseOf(id: string, props: Props): TaskSpec | null {
  const reverse = (props.cutoverResult as CutoverResult | null | undefined)?.reverse;
  if (!reverse) return null;
  const spec = withId(propsToSpec(props), id);
  return reverseSpec(spec, id, { ...requireLiveSource(spec.source, 'cutover.reverse'), mode: reverse.destination.mode, nodes: reverse.destination.nodes });
}

/** The task that should be running: the reverse task once cut over with reverse, else the task itself. */
function activeSpec(id: string, props: Props): TaskSpec {
  return reverseOf(id, props) ?? withId(propsToSpec(props), id);
}

/** A task id: the resource's name and a random suffix, so two stacks with one task name make two tasks. */
function newTaskId(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/** The task's status and lease on its destination, or null when the destination cannot be reached. */
async function readRemote(spec: TaskSpec): Promise<RemoteTask | null> {
  try {
    return await readRemoteTask(spec);
  } catch {
    return null;
  }
}

// ---- create ----

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const id = newTaskId(String(inputs.name));
  const spec = withId(propsToSpec(inputs), id);
  return withRunner(inputs, async (runner) => {
    let prechecks: PrecheckItem[];
    try {
      await runner.probe();
      prechecks = await runner.prechecks(spec, false);
      failOnPrechecks(spec, prechecks);
    } catch (err) {
      // The package may be installed on the host by now: a failed create leaves nothing behind.
      if (runner.kind !== 'local') await runner.remove(id).catch(() => undefined);
      throw err;
    }
    warn(spec, prechecks);
    try {
      await startAndWait(spec, runner);
    } catch (err) {
      await cleanup(spec, runner);
      throw err;
    }
    return { id, outs: await outputs(id, { ...inputs, runnerHostKey: runner.hostKey() }, runner, prechecks) };
  });
}

function failOnPrechecks(spec: TaskSpec, items: PrecheckItem[]): void {
  if (items.some((i) => i.result === 'failed')) {
    throw new Error(`prechecks failed for task "${spec.name}" (fix the items below, or list their ids in ignorePrechecks):\n${formatPrecheckTable(items)}`);
  }
}

function warn(spec: TaskSpec, items: PrecheckItem[]): void {
  for (const w of items.filter((i) => i.result === 'warning')) log('warn', `task ${spec.name}: precheck ${w.id}: ${w.message}`);
}

function info(message: string): void {
  log('info', message);
}

function log(level: 'info' | 'warn', message: string): void {
  try {
    // Loaded only here: the provider process has the SDK, and a log failure must not fail the task.
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    void pulumi.log[level](message);
  } catch {
    /* the warnings are in the outputs too */
  }
}

/** The provider ran the prechecks just now, so the daemon skips them (its restarts must not fail on its own keys). */
async function startAndWait(spec: TaskSpec, runner: Runner): Promise<void> {
  const daemonSpec = spec.access?.createUsers ? await grantAccess(spec) : spec;
  const pid = await runner.start(daemonSpec);
  const id = resolveTask(spec).id;
  const hints = runner.hints(id);
  const waitFor = spec.waitFor ?? 'synchronizing';
  const timeoutMs = (spec.waitTimeoutSeconds ?? 600) * 1000;
  const deadline = Date.now() + timeoutMs;
  let last: TaskStatus | null = null;
  let syncedAt = Infinity;
  const lagGraceMs = Math.max(3000, 3 * (spec.heartbeat?.intervalMs ?? 1000));
  for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) {
    // The status file of a predecessor may still be there: only the new daemon's own status counts.
    const view = await runner.inspect(id, pid);
    const status = view.status;
    last = status?.pid === pid ? status : null;
    const alive = view.pid !== null;
    if (last?.state === 'Failed') {
      throw new Error(`task "${spec.name}" failed: ${last.lastError?.message ?? 'unknown error'}. See \`${hints.status}\` and \`${hints.logs}\` (docs/troubleshooting.md); fix the cause and run pulumi up again: the task resumes from its checkpoint`);
    }
    if (last && alive && waitFor === 'started') return;
    // An RDB file with no stream after it: the daemon ends once the file is in.
    if (last?.state === 'Loaded') return;
    // Synchronizing, and the lag measured once (when heartbeats run), so the outputs never show a null lag after up.
    const lagKnown = last?.nodes.every((n) => n.lagMs !== null) || !(spec.heartbeat?.enabled ?? true) || Date.now() > syncedAt + lagGraceMs;
    if (last && alive && last.state === 'Synchronizing') {
      syncedAt = Math.min(syncedAt, Date.now());
      if (lagKnown) return;
    }
    if (!alive && i > 20) throw new Error(`the redis-sync daemon of task "${spec.name}" on ${runner.where} exited before it started: see its log, \`${hints.logs}\``);
    await new Promise((r) => setTimeout(r, runner.kind === 'local' ? 100 : 400));
  }
  throw new Error(`task "${spec.name}" did not reach ${waitFor} within ${timeoutMs / 1000} s (state ${last?.state ?? 'unknown'}); watch it with \`${hints.status} --watch\`, then raise waitTimeoutSeconds or set waitFor: "started"`);
}

// ---- read ----

export async function read(id: string, props: Props | undefined): Promise<{ id: string; props: Props }> {
  if (!props || typeof props.name !== 'string' || !props.destination) {
    throw new Error(`RedisSyncTask "${id}" cannot be imported: its inputs (source, destination, passwords) are not kept on the servers, so there is nothing to import them from. Declare the task in the program with its inputs instead; to stop a task you no longer manage, run \`redis-sync stop ${id} --config <task.json>\` or let \`pulumi destroy\` of its own stack remove it.`);
  }
  return { id, props: await withRunner(props, (runner) => outputs(id, props, runner, null)) };
}

/**
 * The outputs from the task's status on its destination (wherever its daemon runs), else this machine's status file.
 * A daemon runs while its lease is held; its host is the lease holder's.
 */
async function outputs(id: string, inputs: Props, runner: Runner, prechecks: PrecheckItem[] | null): Promise<Props> {
  const spec = withId(propsToSpec(inputs), id);
  const remote = await readRemote(spec);
  // Where the daemon runs: its own status file and pid (over SSH for a sync host; a host that cannot be reached now
  // leaves the destination's word).
  const view = await runner.inspect(id, null).catch(() => ({ status: null, pid: null }));
  const localPid = view.pid;
  const status = newest(remote?.status ?? null, view.status);
  const holder = remote?.holder ?? null;
  const running = remote ? holder !== null : localPid !== null;
  const here = runner.kind === 'local' && (holder === null || holder.host === hostname());
  const host = holder?.host ?? status?.host ?? runner.where;
  return {
    ...Object.fromEntries(Object.entries(inputs).filter(([k]) => !OUTPUT_KEYS.has(k))),
    taskId: id,
    state: inputs.cutoverResult ? 'CutOver' : taskState(running, status),
    daemonPid: holder?.pid ?? localPid ?? 0,
    daemonRunning: running,
    daemonHost: here ? daemonHost() : { hostname: host, addresses: status?.addresses ?? [] },
    lagMs: maxLagMs(status),
    streams: (status?.nodes ?? []).map((n) => ({
      node: n.node, state: n.state, replid: n.replid, appliedOffset: n.appliedOffset, receivedOffset: n.receivedOffset,
      lastSync: n.lastSync, lagMs: n.lagMs, fullSync: n.fullSync, commandsApplied: n.commandsApplied, reconnects: n.reconnects,
    })),
    lastError: status?.lastError?.message ?? null,
    prechecks: prechecks ?? (inputs.prechecks as PrecheckItem[] | undefined) ?? status?.prechecks ?? [],
    warnings: (prechecks ?? status?.prechecks ?? []).filter((p) => p.result === 'warning').map((p) => `${p.id}: ${p.message}`),
    statusUpdatedAt: status?.updatedAt ?? null,
    // The daemon's last periodic verify (input verify): drift, as `pulumi refresh` shows it.
    lastVerify: status?.lastVerify ?? null,
    // A task cut over keeps that result (and state) until its cutover input is removed.
    cutoverResult: inputs.cutoverResult ?? null,
    reverseTask: await reverseOutput(id, inputs),
    runnerHostKey: runner.hostKey() ?? (typeof inputs.runnerHostKey === 'string' ? inputs.runnerHostKey : null),
  };
}

/** A running daemon's state; without one, how it ended (Failed, Loaded) or DaemonNotRunning. */
function taskState(running: boolean, status: TaskStatus | null): string {
  if (running) return status?.state ?? 'Starting';
  return status?.state === 'Failed' || status?.state === 'Loaded' ? status.state : 'DaemonNotRunning';
}

/** The reverse task's state as its daemon publishes it on the old source (null without one). */
async function reverseOutput(id: string, inputs: Props): Promise<Props | null> {
  const spec = reverseOf(id, inputs);
  if (!spec) return null;
  const remote = await readRemote(spec);
  const status = remote?.status ?? null;
  return {
    taskId: resolveTask(spec).id,
    state: taskState(remote?.holder != null, status),
    daemonRunning: remote?.holder != null,
    lagMs: maxLagMs(status),
    lastError: status?.lastError?.message ?? null,
    streams: (status?.nodes ?? []).map((n) => ({ node: n.node, state: n.state, appliedOffset: n.appliedOffset, lastSync: n.lastSync, lagMs: n.lagMs, commandsApplied: n.commandsApplied })),
  };
}

/** The more recent of the status on the destination and this machine's file (the file may be ahead by a second). */
function newest(a: TaskStatus | null, b: TaskStatus | null): TaskStatus | null {
  if (!a || !b) return a ?? b;
  return Date.parse(b.updatedAt) > Date.parse(a.updatedAt) ? b : a;
}

/** The addresses a network allow-list of a managed Redis must admit: this host's. */
function daemonHost(): { hostname: string; addresses: string[] } {
  return { hostname: hostname(), addresses: hostAddresses() };
}

// ---- update ----

/** A layout change: the destination's copy no longer matches what the new spec synchronizes, so it is re-copied. */
function layoutChanged(olds: Props, news: Props): boolean {
  const same = (k: string): boolean => JSON.stringify(olds[k] ?? null) === JSON.stringify(news[k] ?? null);
  const mode = (p: Props, side: string): unknown => (p[side] as { mode?: unknown } | undefined)?.mode;
  return !same('databases') || !same('databaseMapping') || !same('keyFilter') || !same('keyRenames') || mode(olds, 'source') !== mode(news, 'source') || mode(olds, 'destination') !== mode(news, 'destination');
}

/**
 * Make before break: the new configuration is validated and prechecked while the old daemon keeps running; only then
 * is the old one stopped (wherever it runs) and the new one started. If the new one does not come up, the old
 * configuration is started again and the error says so.
 */
export async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const spec = withId(propsToSpec(news), id);
  const oldSpec = withId(propsToSpec(olds), id);
  const moved = !sameRunner(oldSpec, spec);
  // The same host keeps the host key it was pinned to at create; a new host is trusted on first use (or its hostKey).
  const newProps: Props = { ...news, runnerHostKey: moved ? undefined : olds.runnerHostKey };
  // A cutover alone (isCutover: no other input changed, so the same runner): the running task is cut over, not restarted.
  if (isCutover(olds, news)) return { outs: await withRunner(newProps, (runner) => cutover(id, spec, newProps, runner)) };
  const reverse = reverseOf(id, olds);
  if (reverse) return { outs: await withRunner(olds, (runner) => restartReverse(id, olds, news, reverse, runner)) };
  // Cut over (without reverse) and still asked to be: the task keeps running, its cutover result stays.
  if (news.cutover && olds.cutoverResult) newProps.cutoverResult = olds.cutoverResult;
  return withRunner(olds, (oldRunner) => withRunner(newProps, async (runner) => {
    const resync = news.clearDestinationOnUpdate === true || layoutChanged(olds, news);
    // Resuming only where the destination holds this task's checkpoint: another server, or one that came back empty or
    // with foreign keys, gets the existing-data precheck and a full sync.
    const resuming = resync || await destinationHasCheckpoint(spec);
    const prechecks = await runner.prechecks(spec, resuming).catch((err: Error) => {
      throw new Error(`update of task "${spec.name}" not applied: the previous configuration keeps running. ${runner.where}: ${err.message}`);
    });
    if (prechecks.some((i) => i.result === 'failed')) {
      throw new Error(`update of task "${spec.name}" not applied: the previous configuration keeps running. Prechecks of the new configuration failed (fix the items below, or list their ids in ignorePrechecks):\n${formatPrecheckTable(prechecks)}`);
    }
    warn(spec, prechecks);
    await stopTask(oldSpec, oldRunner);
    if (resync) await clearDestination(spec, runner);
    try {
      await startAndWait(spec, runner);
    } catch (err) {
      await stopTask(spec, runner);
      const restored = await startAndWait(oldSpec, oldRunner).then(() => 'the previous configuration was started again', (e: Error) => `restarting the previous configuration failed too: ${e.message}`);
      throw new Error(`update of task "${spec.name}" failed: ${(err as Error).message}; ${restored}`);
    }
    // The daemon moved to another host (or from this machine): the old place keeps nothing of the task.
    if (moved) await oldRunner.remove(id).catch((e: Error) => log('warn', `task ${spec.name}: could not remove its files from ${oldRunner.where}: ${e.message}`));
    if (movedAway(olds, news, 'destination')) await removeDestinationKeys(oldSpec);
    if (movedAway(olds, news, 'source')) await removeHeartbeats(oldSpec);
    return { outs: await outputs(id, { ...newProps, runnerHostKey: runner.hostKey() }, runner, prechecks) };
  }));
}

/** A cutover was added (or changed) and nothing else: the running task is cut over, not restarted. */
function isCutover(olds: Props, news: Props): boolean {
  if (!news.cutover || olds.cutoverResult) return false;
  return changedInputs(olds, news).every((k) => k === 'cutover');
}

/** The inputs (not the outputs a refresh reads) whose values differ between the two. */
function changedInputs(olds: Props, news: Props): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !OUTPUT_KEYS.has(k) && k !== '__provider'));
  return [...keys].filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
}

/**
 * The migration moment: pause the source's writes, wait for the task to apply them, verify, unpause (runCutover). The
 * task keeps replicating what the source takes afterwards; with reverse, it is stopped while the source is still
 * paused and the reverse task takes over (startReverse). A failure leaves the task running and the source unpaused.
 */
async function cutover(id: string, spec: TaskSpec, news: Props, runner: Runner): Promise<Props> {
  const c = spec.cutover ?? {};
  const result: CutoverResult = c.reverse ? await startReverse(id, spec, runner) : await runCutover(spec, c);
  const then = result.reverse ? `task ${result.reverse.taskId} carries the destination's writes back to the source` : 'the task keeps replicating what the source takes';
  info(`${spec.name}: cut over: source offsets ${JSON.stringify(result.sourceOffsets)} applied, verify consistent (${result.verify.keysCompared} keys), source writes paused ${result.pauseMs} ms; ${then}`);
  return outputs(id, { ...news, cutoverResult: result, runnerHostKey: runner.hostKey() }, runner, null);
}

/**
 * Cutover with reverse: while the source is paused (and verified equal), the task stops and the destination's
 * positions are taken; the reverse task's checkpoints are written with them and it starts. Never both directions at
 * once; if the reverse task cannot start, it is removed and the task itself started again (it resumes from its
 * checkpoint and carries what the source took meanwhile).
 */
async function startReverse(id: string, spec: TaskSpec, runner: Runner): Promise<CutoverResult> {
  const reverse = reverseSpec(spec, id, requireLiveSource((await withSentinelMaster(spec, ['source'])).source, 'cutover.reverse'));
  let positions: Awaited<ReturnType<typeof anchorPositions>> | null = null;
  let stopped = false;
  await ensureBacklogs(reverse);
  try {
    const result = await runCutover(spec, spec.cutover ?? {}, {
      whilePaused: async () => {
        stopped = true;
        await stopTask(spec, runner);
        positions = await anchorPositions(reverse);
      },
    });
    await seedCheckpoints(reverse, positions!);
    failOnPrechecks(reverse, await runner.prechecks(reverse, true));
    await startAndWait(reverse, runner);
    return { ...result, reverse: reverseStart(reverse, positions!) };
  } catch (err) {
    if (!stopped) throw err;
    await cleanup(reverse, runner).catch((e: Error) => log('warn', `task ${reverse.name}: ${e.message}`));
    const restored = await startAndWait(spec, runner).then(() => `task ${spec.name} was started again`, (e: Error) => `starting task ${spec.name} again failed too: ${e.message}`);
    throw new Error(`cutover of task "${spec.name}" with reverse failed: ${(err as Error).message}; ${restored}`);
  }
}

/**
 * An update of a task cut over with reverse: the reverse task is restarted when its daemon is gone; any other change
 * is refused, since the task must not run again while its reverse runs (that is two directions at once).
 */
async function restartReverse(id: string, olds: Props, news: Props, reverse: TaskSpec, runner: Runner): Promise<Props> {
  const changed = changedInputs(olds, news);
  if (changed.length > 0) {
    throw new Error(`task "${String(olds.name)}" was cut over with reverse: task ${resolveTask(reverse).id} now carries the destination's writes back to the source, and the task cannot change or run again while it does (${changed.join(', ')} changed). Put the inputs back, or pulumi destroy the resource (both tasks stop) and declare a new task`);
  }
  await startAndWait(reverse, runner);
  return outputs(id, olds, runner, null);
}

function movedAway(olds: Props, news: Props, side: 'source' | 'destination'): boolean {
  const nodes = (p: Props): string => JSON.stringify((p[side] as { nodes?: unknown } | undefined)?.nodes ?? null);
  return nodes(olds) !== nodes(news);
}

/** Empties the synchronized databases and forgets the checkpoint, so the restarted task syncs in full. */
async function clearDestination(given: TaskSpec, runner: Runner): Promise<void> {
  const spec = await withSentinelMaster(given, ['destination']);
  const task = resolveTask(spec);
  const nodes = await nodesOf(spec.destination.mode, task.destinationNodes);
  for (const node of nodes) {
    await withClient(node, async (c) => {
      if (task.databases === null) await c.flushall();
      else for (const db of task.databases) { await c.select(task.mapDb(db)); await c.flushdb(); }
    });
  }
  await removeDestinationKeys(spec);
  await runner.forgetCheckpoint(task.id);
}

/**
 * Stops the task's daemon wherever it runs: this machine's directly, another machine's through a stop request on the
 * destination, which its daemon sees within a second; returns once no daemon holds the lease (or it expired).
 */
async function stopTask(spec: TaskSpec, runner: Runner): Promise<void> {
  const task = resolveTask(spec);
  // A sync host that cannot be reached: its daemon is still asked through the destination below.
  await runner.stop(task.id).catch((e: Error) => log('warn', `task ${spec.name}: ${e.message}; asking its daemon to stop through the destination`));
  try {
    await stopRemoteTask(spec);
  } catch (err) {
    if (/did not stop/.test((err as Error).message)) throw err;
    /* the destination is unreachable: no daemon can write it either */
  }
}

// ---- delete ----

export async function deleteTask(id: string, props: Props): Promise<void> {
  const reverse = reverseOf(id, props);
  await withRunner(props, async (runner) => {
    if (reverse) await cleanup(reverse, runner);
    await cleanup(withId(propsToSpec(props), id), runner);
  });
}

/** Stops the daemon and removes what the task added; every step tolerates what is already gone. */
async function cleanup(spec: TaskSpec, runner: Runner): Promise<void> {
  await stopTask(spec, runner);
  await removeHeartbeats(spec);
  await removeDestinationKeys(spec);
  if (spec.access?.createUsers) await revokeAccess(spec);
  await runner.remove(resolveTask(spec).id);
}

/** The heartbeat keys on every source master. */
async function removeHeartbeats(given: TaskSpec): Promise<void> {
  const spec = await withSentinelMaster(given, ['source']);
  const task = resolveTask(spec);
  const live = liveSource(spec.source);
  if (!live) return; // an RDB file source has no heartbeat
  const sources = await nodesOf(live.mode, task.sourceNodes);
  await Promise.all(sources.map((n) => bestEffort(() => withClient(n, async (c) => {
    await c.select(task.heartbeat.db ?? 0);
    const keys = await scanMatch(c, `${task.heartbeat.key}*`);
    if (keys.length) await c.del(...keys);
  }))));
}

/** The task's checkpoint, lease, status, stop and guard keys on every destination master. */
async function removeDestinationKeys(given: TaskSpec): Promise<void> {
  const spec = await withSentinelMaster(given, ['destination']);
  const task = resolveTask(spec);
  const dbs = [...new Set([TASK_META_DB, task.mapDb(task.databases?.[0] ?? 0)])];
  const nodes = await nodesOf(spec.destination.mode, task.destinationNodes);
  await Promise.all(nodes.map((n) => bestEffort(() => withClient(n, async (c) => {
    for (const db of dbs) {
      await c.select(db);
      for (const pattern of destinationKeyPatterns(task.id)) {
        const keys = pattern.includes('*') ? await scanMatch(c, pattern) : [pattern];
        // One DEL per key: on a cluster node a key of another slot answers MOVED, which is only skipped.
        for (const k of keys) await c.del(k).catch(() => undefined);
      }
    }
  }))));
}

/** Every master of a cluster (heartbeat keys live on each), or the nodes as given. */
async function nodesOf(mode: string, seeds: NodeAddress[]): Promise<NodeAddress[]> {
  return endpointMasters(mode, seeds).catch(() => seeds);
}

async function bestEffort(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch {
    /* a server that is gone has nothing left to clean */
  }
}
