// What the sub-commands share with the entry point: the usage error and reading a task file. A module of its own so
// that main.ts (which loads the sub-commands) and the sub-commands do not import each other.
import { readFileSync } from 'node:fs';
import { validateSpec } from '../spec/validate';
import type { TaskSpec } from '../spec/types';

/** A wrong invocation: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/** Reads a task file; "-" reads it from standard input, which is how a daemon gets a spec holding passwords. */
export function loadSpecFile(path: string | undefined): TaskSpec {
  if (!path) throw new UsageError('--config task.json is required: the task file (fields in docs/reference.md); "--config -" reads it from standard input');
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the task file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return validateSpec(json);
}
