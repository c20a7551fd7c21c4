import { parseArgs } from 'node:util';
import { loadSpecFile } from './main';
import { verifyCommand } from './verify-command';

export async function verifyCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  return verifyCommand(loadSpecFile(values.config), { json: values.json ?? false });
}
