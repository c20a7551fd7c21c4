// `redis-sync run`: prechecks, then the task in the foreground until SIGTERM/SIGINT (graceful) or failure.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { loadSpecFile } from './spec-file';
import type { TaskSpec } from '../spec/types';
import { defaultStateDir, taskPaths } from '../state/files';
import { TaskRunner } from '../task/task-runner';
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
  const runner = new TaskRunner(spec, { stateDir, logToStderr: values['log-stderr'], prechecks });
  const stop = (): void => runner.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const state = await runner.run();
  if (state === 'Failed') {
    process.stderr.write(`redis-sync: task "${spec.name}" failed: ${runner.status.lastError?.message ?? 'unknown error'}\n` +
      `  see "redis-sync logs ${spec.name} --state-dir ${stateDir}" and docs/troubleshooting.md; once fixed, run it again: it resumes from its checkpoint\n`);
    return 1;
  }
  return 0;
}

/** A task that has a checkpoint (here or in the destination) is resuming: the keys in the destination are its own. */
async function isResuming(spec: TaskSpec, stateDir: string): Promise<boolean> {
  return existsSync(taskPaths(stateDir, spec.id ?? spec.name).checkpoint) || destinationHasCheckpoint(spec);
}
