import { parseArgs } from 'node:util';
import { readdirSync, existsSync } from 'node:fs';
import { defaultStateDir, readJson, taskPaths } from '../state/files';
import type { TaskStatus } from '../state/status';
import { formatStatus } from './format-status';
import { UsageError } from './main';

function taskNames(stateDir: string): string[] {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(taskPaths(stateDir, d.name).status))
    .map((d) => d.name)
    .sort();
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'state-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const names = positionals.length ? positionals : taskNames(stateDir);
  if (!names.length) throw new UsageError(`no task has a status in ${stateDir} (give --state-dir, or start one with "redis-sync run")`);
  const statuses = names.map((name) => {
    const s = readJson<TaskStatus>(taskPaths(stateDir, name).status);
    if (!s) throw new UsageError(`task "${name}" has no status in ${stateDir}`);
    return s;
  });
  process.stdout.write(values.json ? JSON.stringify(statuses.length === 1 ? statuses[0] : statuses, null, 2) + '\n' : statuses.map((s) => formatStatus(s, Date.now())).join('\n'));
  return 0;
}
