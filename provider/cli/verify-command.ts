// `redis-sync verify`: compares the task's source and destination key by key and exits 0 when they match. While the
// task runs, a difference is reported only once the destination applied the source's offset at which the key was
// read. --repair copies the differing keys again. Progress goes to stderr, the report to stdout.
// Output names endpoints by their node addresses only: never a password.
import { parseArgs } from 'node:util';
import type { TaskSpec } from '../spec/types';
import { loadSpecFile, UsageError } from './spec-file';
import { liveSource } from '../spec/resolve';
import { verifyTask } from '../verify/verify-task';
import type { VerifyReport } from '../verify/report';
import type { VerifyProgress } from '../verify/verify';

export interface VerifyCommandOptions {
  json: boolean;
  /** A share (0 < x <= 1) or a number of keys (x > 1). */
  sample?: number;
  repair?: boolean;
  /** Progress lines on stderr. */
  progress?: boolean;
}

export async function verifyCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    config: { type: 'string' }, json: { type: 'boolean', default: false }, sample: { type: 'string' },
    repair: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false },
  } });
  const sample = values.sample === undefined ? undefined : Number(values.sample);
  if (sample !== undefined && !(sample > 0)) throw new UsageError(`--sample ${values.sample}: give a share (0.1) or a number of keys (1000)`);
  return verifyCommand(loadSpecFile(values.config), { json: values.json, sample, repair: values.repair, progress: !values.quiet });
}

/** At most one line every 2 s. */
function progressPrinter(): (p: VerifyProgress) => void {
  let last = 0;
  return (p) => {
    if (Date.now() - last < 2000) return;
    last = Date.now();
    const of = p.keysExpected === null ? '' : ` of ~${p.keysExpected}`;
    process.stderr.write(`verify: ${p.phase}: ${p.keysCompared}${of} keys compared\n`);
  };
}

export async function verifyCommand(spec: TaskSpec, opts: VerifyCommandOptions): Promise<number> {
  if (opts.repair && !liveSource(spec.source)) throw new UsageError(`--repair copies keys again from the source server; task ${spec.name}'s source is the RDB file ${spec.source.rdbFile ?? ''} only (run the task again to load it)`);
  const report = await verifyTask(spec, { sample: opts.sample, repair: opts.repair, onProgress: opts.progress ? progressPrinter() : undefined });
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(spec, report));
  if (report.repair) return report.repair.failed === 0 ? 0 : 1;
  return report.consistent ? 0 : 1;
}

export function formatVerifyReport(spec: TaskSpec, r: VerifyReport): string {
  const how = `${!liveSource(spec.source) ? 'against the RDB file' : r.online ? 'online, at the task\'s applied offsets' : 'offline'}${r.sampled != null ? `, sample ${(r.sampled * 100).toFixed(1)}%` : ''}`;
  const lines = [
    `verify ${spec.name}: ${spec.source.nodes?.join(',') ?? spec.source.rdbFile ?? ''} -> ${spec.destination.nodes.join(',')} (${how})`,
    `${r.consistent ? 'CONSISTENT' : 'NOT CONSISTENT'}: ${r.keysCompared} keys compared in ${(r.durationMs / 1000).toFixed(1)} s${r.inFlight ? `; ${r.inFlight} in flight, equal once applied` : ''}`,
  ];
  if (!r.consistent) {
    lines.push(
      `  missing on destination: ${r.missingOnDestination}`,
      `  extra on destination:   ${r.extraOnDestination}`,
      `  type mismatches:        ${r.typeMismatches}`,
      `  value mismatches:       ${r.valueMismatches}`,
      `  TTL mismatches:         ${r.ttlMismatches}`,
      `first mismatches:`,
      ...r.firstMismatches.map((m) => {
        const at = m.sourceOffset === undefined ? '' : ` at source offset ${m.sourceOffset}${m.destinationOffset != null ? `, destination applied ${m.destinationOffset}` : ''}`;
        const sides = m.source === undefined ? '' : `\n      source:      ${m.source}\n      destination: ${m.destination}`;
        return `  db${m.db} ${JSON.stringify(m.key)}: ${m.problem} (${m.detail})${at}${sides}`;
      }),
    );
  }
  if (r.unsettled) lines.push(`not compared at a settled point: ${r.unsettled} keys`, ...(r.firstUnsettled ?? []).slice(0, 20).map((u) => `  db${u.db} ${JSON.stringify(u.key)}: ${u.reason}`));
  if (r.repair) {
    lines.push(`repair: ${r.repair.repaired} keys repaired${r.repair.failed ? `, ${r.repair.failed} NOT repaired` : ''}`,
      ...r.repair.firstRepaired.slice(0, 20).map((x) => `  db${x.db} ${JSON.stringify(x.key)}: ${x.action}`),
      ...r.repair.firstFailures.map((x) => `  db${x.db} ${JSON.stringify(x.key)}: ${x.reason}`));
  }
  return `${lines.join('\n')}\n`;
}
