// `redis-sync verify`: compares the task's source and destination key by key and exits 0 when they match.
// Output names endpoints by their node addresses only: never a password.
import { parseArgs } from 'node:util';
import type { TaskSpec } from '../spec/types';
import { loadSpecFile } from './spec-file';
import { verifyTask } from '../verify/verify-task';
import type { VerifyReport } from '../verify/report';

export async function verifyCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  return verifyCommand(loadSpecFile(values.config), { json: values.json });
}

export async function verifyCommand(spec: TaskSpec, opts: { json: boolean }): Promise<number> {
  const report = await verifyTask(spec);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(spec, report));
  return report.consistent ? 0 : 1;
}

export function formatVerifyReport(spec: TaskSpec, r: VerifyReport): string {
  const lines = [
    `verify ${spec.name}: ${spec.source.nodes.join(',')} -> ${spec.destination.nodes.join(',')}`,
    `${r.consistent ? 'CONSISTENT' : 'NOT CONSISTENT'}: ${r.keysCompared} keys compared in ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  if (!r.consistent) {
    lines.push(
      `  missing on destination: ${r.missingOnDestination}`,
      `  extra on destination:   ${r.extraOnDestination}`,
      `  type mismatches:        ${r.typeMismatches}`,
      `  value mismatches:       ${r.valueMismatches}`,
      `  TTL mismatches:         ${r.ttlMismatches}`,
      `first mismatches:`,
      ...r.firstMismatches.map((m) => `  db${m.db} ${JSON.stringify(m.key)}: ${m.problem} (${m.detail})`),
    );
  }
  return `${lines.join('\n')}\n`;
}
