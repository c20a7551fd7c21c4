// `redis-sync precheck --config - [--resuming] [--json]`: the prechecks alone, from where they run. The SSH runner
// runs it on the sync host, because that is where the daemon connects from (its network, its firewall, its DNS).
import { parseArgs } from 'node:util';
import { loadSpecFile } from './spec-file';
import { runPrechecks, formatPrecheckTable } from '../precheck/run-prechecks';

export async function precheckCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, resuming: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const spec = loadSpecFile(values.config);
  const items = await runPrechecks(spec, { resuming: values.resuming });
  process.stdout.write(values.json ? JSON.stringify(items) + '\n' : formatPrecheckTable(items));
  return values.json || !items.some((i) => i.result === 'failed') ? 0 : 1;
}
