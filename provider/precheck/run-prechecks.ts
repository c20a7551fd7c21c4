// Reads every node's facts at once and evaluates the prechecks.
import type { TaskSpec } from '../spec/types';
import type { PrecheckItem } from '../state/status';
import { resolveTask } from '../spec/resolve';
import { readNodeFacts } from './node-facts';
import { evaluate } from './checks';
import { withClient } from './node-facts';
import { checkpointKey } from '../task/tx-batch';

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

/** The destination holds this task's checkpoint key: an earlier run of the task wrote there. */
export async function destinationHasCheckpoint(spec: TaskSpec): Promise<boolean> {
  const task = resolveTask(spec);
  if (spec.destination.mode !== 'standalone') return false;
  const db = task.mapDb(task.databases?.[0] ?? 0);
  const keys = [checkpointKey(task.name, 'standalone')];
  try {
    return await withClient(task.destinationNodes[0], async (c) => {
      await c.select(db);
      return (await c.exists(...keys)) > 0;
    });
  } catch {
    return false; // unreachable: the connectivity precheck reports it
  }
}
