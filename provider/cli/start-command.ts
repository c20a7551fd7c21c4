// `redis-sync start --config FILE [--state-dir DIR] [--skip-prechecks]`: starts the task's detached daemon unless one
// runs already, and prints its pid. A sync host's boot entry runs it, so it must be harmless when the task runs.
import { parseArgs } from 'node:util';
import { loadSpecFile } from './main';
import { defaultStateDir } from '../state/files';
import { spawnDaemon, daemonPid } from '../daemon/daemon-process';

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, 'skip-prechecks': { type: 'boolean', default: false } },
  });
  const spec = loadSpecFile(values.config);
  const stateDir = values['state-dir'] ?? spec.stateDir ?? defaultStateDir();
  const id = spec.id ?? spec.name;
  const running = daemonPid(stateDir, id);
  if (running) {
    process.stdout.write(`pid ${running} (already running)\n`);
    return 0;
  }
  const { runner: _runner, ...daemon } = spec;
  const pid = await spawnDaemon(daemon, stateDir, values['skip-prechecks'] ? ['--skip-prechecks'] : []);
  process.stdout.write(`pid ${pid}\n`);
  return 0;
}
