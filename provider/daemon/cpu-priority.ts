// The sync worker's CPU priority (tuning.niceness). A full sync is a bounded copy that the user waits for: it runs at
// the priority the worker started with. Once the task is synchronizing, the stream runs for as long as the task lives
// and must not slow the servers down: the worker then lowers its priority, so that a source (or destination) on the
// same host takes the CPU first when both want it (bench/sync's sustained case: the source keeps 0.70 of its write
// rate with a native replica attached at niceness 0, about 0.9 at 10). Nothing changes while the CPU is not short.
import { getPriority, setPriority } from 'node:os';

export const DEFAULT_NICENESS = 10;

/** Raises this process's niceness to `niceness`; never lowers it (that needs privileges). */
export function yieldCpu(niceness: number): void {
  if (niceness > getPriority(0)) setPriority(0, niceness);
}
