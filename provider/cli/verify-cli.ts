import { parseArgs } from 'node:util';
import { loadSpecFile } from './main';
import { formatVerifyReport } from './verify-command';
import { verifyTask } from '../verify/verify-task';

export async function verifyCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const spec = loadSpecFile(values.config);
  const report = await verifyTask(spec);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(spec, report));
  return report.consistent ? 0 : 1;
}
