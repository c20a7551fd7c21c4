// `redis-sync start --config FILE [--state-dir DIR] [--skip-prechecks] [--unless-stopped]`: starts the task's detached
// daemon unless one runs already, and prints its pid. A sync host's crontab runs it at boot and, with --unless-stopped,
// every minute (a daemon killed outright comes back; one stopped on purpose, or failed, stays so), so it must be
// harmless when the task runs.
import { parseArgs } from 'node:util';
import { loadSpecFile } from './spec-file';
import { defaultStateDir, readJson, taskPaths } from '../state/files';
import { spawnDaemon, daemonPid } from '../daemon/daemon-process';
import { endedPath } from '../daemon/supervisor';

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, 'state-dir': { type: 'string' },
      'skip-prechecks': { type: 'boolean', default: false }, 'unless-stopped': { type: 'boolean', default: false },
    },
  });
  const spec = loadSpecFile(values.config);
  const stateDir = values['state-dir'] ?? spec.stateDir ?? defaultStateDir();
  const id = spec.id ?? spec.name;
  const running = daemonPid(stateDir, id);
  if (running) {
    process.stdout.write(`pid ${running} (already running)\n`);
    return 0;
  }
  const ended = readJson<{ state: string }>(endedPath(taskPaths(stateDir, id)));
  if (values['unless-stopped'] && ended) {
    process.stdout.write(`not started: the task's daemon ended it (${ended.state}); start it without --unless-stopped, or run pulumi up\n`);
    return 0;
  }
  const { runner: _runner, ...daemon } = spec;
  const pid = await spawnDaemon(daemon, stateDir, values['skip-prechecks'] ? ['--skip-prechecks'] : []);
  process.stdout.write(`pid ${pid}\n`);
  return 0;
}
