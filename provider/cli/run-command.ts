// `redis-sync run`: prechecks, then the task in the foreground until SIGTERM/SIGINT (graceful) or failure.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { DEFAULT_NICENESS, yieldCpu } from '../daemon/cpu-priority';
import { loadSpecFile } from './spec-file';
import type { TaskSpec } from '../spec/types';
import { defaultStateDir, taskPaths } from '../state/files';
import { TaskRunner, type RunOptions } from '../task/task-runner';
import type { TaskState } from '../state/status';
import { resolveTask } from '../spec/resolve';
import { newToken } from '../state/lease';
import { withSentinelMaster } from '../sentinel/sentinel-master';
import { runPrechecks, formatPrecheckTable, destinationHasCheckpoint } from '../precheck/run-prechecks';

/**
 * A TLS server that refuses the handshake can answer the task's own alert with a second one, emitted on a socket whose
 * client (ioredis) only listened for its first error: that would crash the daemon although the failure is already
 * reported (status, exit code, retry). Such late TLS alerts are dropped; anything else still ends the process as usual.
 */
function ignoreLateTlsAlerts(): void {
  process.on('uncaughtException', (err: NodeJS.ErrnoException) => {
    if (/^ERR_SSL_/.test(err.code ?? '')) return;
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

export async function runCommand(argv: string[]): Promise<number> {
  ignoreLateTlsAlerts();
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'state-dir': { type: 'string' },
      'skip-prechecks': { type: 'boolean', default: false },
      'log-stderr': { type: 'boolean', default: false },
    },
  });
  const spec = loadSpecFile(values.config);
  const stateDir = values['state-dir'] ?? spec.stateDir ?? defaultStateDir();
  const prechecks = values['skip-prechecks'] ? [] : await runPrechecks(spec, { resuming: await isResuming(spec, stateDir) });
  if (prechecks.some((p) => p.result === 'failed')) {
    process.stderr.write(`redis-sync: prechecks failed for task "${spec.name}":\n${formatPrecheckTable(prechecks)}`);
    return 1;
  }
  for (const p of prechecks.filter((x) => x.result === 'warning')) process.stderr.write(`warning: ${p.id}: ${p.message}\n`);
  const niceness = spec.tuning?.niceness ?? DEFAULT_NICENESS;
  const { state, runner } = await runTask(spec, { stateDir, logToStderr: values['log-stderr'], prechecks, onSynchronizing: () => yieldCpu(niceness) });
  if (state === 'Failed') {
    process.stderr.write(`redis-sync: task "${spec.name}" failed: ${runner.status.lastError?.message ?? 'unknown error'}\n` +
      `  see "redis-sync logs ${spec.name} --state-dir ${stateDir}" and docs/troubleshooting.md; once fixed, run it again: it resumes from its checkpoint\n`);
    return 1;
  }
  return 0;
}

/**
 * Runs the task until it stops or fails. A Sentinel-managed destination is written on the master its sentinels name;
 * when it fails over, the run ends and the next one starts on the new master, same owner, from its checkpoint there.
 */
async function runTask(spec: TaskSpec, opts: RunOptions): Promise<{ state: TaskState; runner: TaskRunner }> {
  const sentinel = spec.destination.mode === 'sentinel'
    ? { nodes: resolveTask(spec).destinationNodes, masterName: spec.destination.masterName ?? '' }
    : undefined;
  const owner = newToken();
  let stopped = false;
  let current: TaskRunner | null = null;
  const stop = (): void => { stopped = true; current?.stop(); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let i = 0; ; i++) {
    const resolved = await withSentinelMaster(spec, ['destination']);
    const runner: TaskRunner = new TaskRunner(resolved, { ...opts, owner, destinationSentinel: sentinel });
    current = runner;
    if (stopped) runner.stop();
    const state = await runner.run();
    // Bounded: a destination that fails over again and again is a failure of its own after this many moves.
    if (!runner.destinationMoved || stopped || i >= 1000) return { state, runner };
  }
}

/** A task that has a checkpoint (here or in the destination) is resuming: the keys in the destination are its own. */
async function isResuming(spec: TaskSpec, stateDir: string): Promise<boolean> {
  return existsSync(taskPaths(stateDir, spec.id ?? spec.name).checkpoint) || destinationHasCheckpoint(spec);
}
