// Reads every node's facts at once and evaluates the prechecks.
import type { TaskSpec } from '../spec/types';
import type { PrecheckItem } from '../state/status';
import { resolveTask } from '../spec/resolve';
import { readNodeFacts } from './node-facts';
import { evaluate } from './checks';

export async function runPrechecks(spec: TaskSpec, opts: { resuming: boolean }): Promise<PrecheckItem[]> {
  const task = resolveTask(spec);
  const [source, destination] = await Promise.all([
    Promise.all(task.sourceNodes.map((n) => readNodeFacts(n))),
    Promise.all(task.destinationNodes.map((n) => readNodeFacts(n))),
  ]);
  return evaluate({ spec, source, destination, resuming: opts.resuming });
}

/** A readable table of the items that did not pass (all items when verbose). */
export function formatPrecheckTable(items: PrecheckItem[], verbose = false): string {
  const rows = items.filter((i) => verbose || i.result !== 'passed');
  const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
  const lines = rows.map((r) => `  ${r.result.toUpperCase().padEnd(8)} ${r.id.padEnd(idWidth)}  ${r.message}`);
  return `  ${'RESULT'.padEnd(8)} ${'ID'.padEnd(idWidth)}  WHAT TO DO\n${lines.join('\n')}\n`;
}
