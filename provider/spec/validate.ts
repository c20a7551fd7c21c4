// Validates a task spec against schema.json (the single source of truth) and explains each failure on its property path.
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { TaskSpec } from './types';
import { schemaValidator } from './schema-compiler';

export interface SpecProblem {
  /** JSON-pointer-like path such as "source.nodes[0]" ("" is the spec itself). */
  path: string;
  message: string;
}

export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid task spec:\n${problems.map((p) => `  - ${p.path || '(spec)'}: ${p.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= schemaValidator();
  return compiled;
}

function propertyPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function explain(err: ErrorObject): SpecProblem {
  const path = propertyPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  const at = (child: string): string => (path ? `${path}.${child}` : child);
  switch (err.keyword) {
    case 'required':
      return { path: at(String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: at(String(p.additionalProperty)), message: 'is not a known field (check the spelling; see schema.json)' };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      if (/nodes\[\d+\]$/.test(path)) return { path, message: 'must be "host:port" with a port from 1 to 65535 (IPv6 as "[::1]:6379")' };
      return { path, message: `must match ${String(p.pattern)}` };
    case 'type':
      return { path, message: `must be ${String(p.type)}` };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} item(s)` };
    case 'minimum':
    case 'maximum':
      return { path, message: `must be ${err.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}` };
    case 'propertyNames':
      return { path, message: 'keys must be database numbers ("0", "1", ...)' };
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Returns the problems of a spec (empty when valid). */
export function specProblems(input: unknown): SpecProblem[] {
  const validate = validator();
  if (validate(input)) return [];
  const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(explain);
  // ajv reports propertyNames failures twice (the name and the object); keep one line per path and message.
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.path + p.message) && seen.add(p.path + p.message));
}

export function validateSpec(input: unknown): TaskSpec {
  const problems = specProblems(input);
  if (problems.length) throw new SpecError(problems);
  return input as TaskSpec;
}
