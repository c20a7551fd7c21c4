// The redis-sync command line: one entry point, one small module per sub-command.
import { SpecError } from '../spec/validate';
import { UsageError } from './spec-file';

const USAGE = `redis-sync: keep one Redis in sync with another

Usage:
  redis-sync run --config task.json [--state-dir DIR]      run a task in the foreground (the daemon's body)
  redis-sync start --config task.json [--state-dir DIR]    start a task's detached daemon unless it runs (prints its pid)
  redis-sync precheck --config task.json [--json]          run the prechecks only, from this machine
  redis-sync verify --config task.json [--json]            compare source and destination key by key
  redis-sync status [TASK] [--watch [--count N]] [--json]  a task's state, offsets, lag and full-sync progress
                                                           (--watch redraws every 0.5 s until Ctrl-C)
  redis-sync list [--json]                                 one line per task: state, daemon alive, lag, updated
  redis-sync logs TASK [-f] [-n N] [--level warn]          the daemon's log, readable (-f follows it)
  redis-sync stop TASK [--timeout SECONDS]                 stop a task's daemon gracefully (it resumes later)
  redis-sync rdb dump FILE [--keys-only] [--stats]         print an RDB file's dataset as canonical JSON
  redis-sync help

status, list, logs and stop take --state-dir DIR; the state dir defaults to $REDIS_SYNC_STATE_DIR or ~/.redis-sync.
Documentation: docs/reference.md (task file), docs/troubleshooting.md, docs/metrics.md.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command')).runCommand,
  start: async () => (await import('./start-command')).startCommand,
  precheck: async () => (await import('./precheck-command')).precheckCommand,
  verify: async () => (await import('./verify-command')).verifyCli,
  status: async () => (await import('./status-command')).statusCommand,
  list: async () => (await import('./list-command')).listCommand,
  logs: async () => (await import('./logs-command')).logsCommand,
  stop: async () => (await import('./stop-command')).stopCommand,
  rdb: async () => async (argv: string[]) => {
    if (argv[0] !== 'dump') throw new UsageError('usage: redis-sync rdb dump FILE [--keys-only] [--stats]');
    return (await import('./rdb-dump')).rdbDumpCommand(argv.slice(1));
  },
};

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const load = commands[name];
  if (Object.hasOwn(commands, name) && (rest.includes('--help') || rest.includes('-h'))) {
    const lines: string[] = [];
    for (const l of USAGE.split('\n')) {
      if (l.startsWith(`  redis-sync ${name} `) || l === `  redis-sync ${name}`) lines.push(l);
      else if (lines.length && /^ {20,}\S/.test(l) && lines.at(-1) !== '') lines.push(l);
      else if (lines.length && lines.at(-1) !== '') lines.push('');
    }
    process.stdout.write(`Usage:\n${lines.filter(Boolean).join('\n')}\n\n${USAGE.slice(USAGE.indexOf('status, list, logs'))}\n`);
    return;
  }
  try {
    if (!load) throw new UsageError(`unknown command "${name}"\n\n${USAGE}`);
    process.exitCode = await (await load())(rest);
  } catch (err) {
    // node:util parseArgs: an unknown option, a missing value, an unexpected argument.
    if (/^ERR_PARSE_ARGS_/.test(String((err as { code?: unknown }).code))) {
      process.stderr.write(`redis-sync ${name}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}; see "redis-sync ${name} --help"\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof UsageError || err instanceof SpecError) {
      process.stderr.write(`redis-sync: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`redis-sync: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

