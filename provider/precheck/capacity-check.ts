// Capacity planning: will the source keep what the task needs while the full sync runs? The source buffers its writes
// for the task in the replica's output buffer until the task has read the snapshot, and keeps them in its backlog for
// a partial resync after a short outage; if either overflows, the sync starts over (and over, under the same load).
// Estimated from measured facts (capacity-facts.ts); a warning names the values to set.
import type { PrecheckItem } from '../state/status';
import type { CapacityFacts } from './capacity-facts';

/** Beyond the full sync itself, the outage a partial resync should survive (a daemon restart, a network blip). */
export const MARGIN_SECONDS = 60;
const MB = 1024 * 1024;

export interface CapacityEstimate {
  /** Seconds the full sync is expected to take: the keys at the probe's measured copy rate. */
  fullSyncSeconds: number;
  copyBytesPerSecond: number | null;
  datasetBytes: number;
  /** Stream bytes written over the full sync plus the margin: what the buffers must hold. */
  neededBytes: number;
  /** What to set repl-backlog-size and the replica buffer limit to: a power of two, twice the need, 64mb at least. */
  suggestedBytes: number;
}

export function estimate(f: CapacityFacts): CapacityEstimate {
  const perKeyMs = f.probe ? f.probe.ms / f.probe.keys : 0;
  const fullSyncSeconds = (f.keys * perKeyMs) / 1000;
  const datasetBytes = f.probe ? Math.round((f.probe.bytes / f.probe.keys) * f.keys) : 0;
  const neededBytes = Math.ceil(f.writeBytesPerSecond * (fullSyncSeconds + MARGIN_SECONDS));
  let suggestedBytes = 64 * MB;
  for (let i = 0; i < 40 && suggestedBytes < 2 * neededBytes; i++) suggestedBytes *= 2;
  return { fullSyncSeconds, copyBytesPerSecond: f.probe ? f.probe.bytes / (f.probe.ms / 1000) : null, datasetBytes, neededBytes, suggestedBytes };
}

/** "512mb", "2gb": the unit CONFIG SET takes. */
export function formatConfigBytes(n: number): string {
  return n >= 1024 * MB && n % (1024 * MB) === 0 ? `${n / (1024 * MB)}gb` : `${Math.ceil(n / MB)}mb`;
}

const mb = (n: number): string => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;

export function capacityItems(facts: CapacityFacts[]): PrecheckItem[] {
  return facts.map((f) => {
    const e = estimate(f);
    const plan = `full sync of ~${f.keys} keys (~${mb(e.datasetBytes)}) at ~${e.copyBytesPerSecond === null ? '?' : mb(e.copyBytesPerSecond)}/s takes ~${Math.ceil(e.fullSyncSeconds)} s; the source writes ~${mb(f.writeBytesPerSecond)}/s${f.rateFrom === 'client input' ? ' (its client input: no replica attached)' : ''}, ~${mb(e.neededBytes)} over that time plus ${MARGIN_SECONDS} s`;
    const fixes: string[] = [];
    const set = formatConfigBytes(e.suggestedBytes);
    if (f.replBacklogSize !== null && f.replBacklogSize < e.neededBytes) {
      fixes.push(`repl-backlog-size (${mb(f.replBacklogSize)}) cannot hold them: run CONFIG SET repl-backlog-size ${set}`);
    }
    const b = f.replicaBuffer;
    if (b && ((b.hard > 0 && b.hard < e.neededBytes) || (b.soft > 0 && b.soft < e.neededBytes && b.softSeconds < e.fullSyncSeconds + MARGIN_SECONDS))) {
      fixes.push(`client-output-buffer-limit replica (${mb(b.hard)} hard, ${mb(b.soft)} soft for ${b.softSeconds} s) would disconnect the task: run CONFIG SET client-output-buffer-limit "replica ${set} ${set} 0"`);
    }
    return fixes.length
      ? { id: 'source-capacity', result: 'warning' as const, node: f.node, message: `${f.node}: ${plan}; ${fixes.join('; ')}` }
      : { id: 'source-capacity', result: 'passed' as const, node: f.node, message: `${f.node}: ${plan}; repl-backlog-size and the replica output buffer can hold them` };
  });
}
