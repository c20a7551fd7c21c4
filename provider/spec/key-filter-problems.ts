// keyFilter rules that schema.json cannot say: exactly one kind of pattern per rule, and a regex that compiles.
import type { KeyFilterSpec } from './types';
import type { SpecProblem } from './validate';

/** Every pattern names exactly one of prefix, glob, regex, and a regex compiles: problems on their property paths. */
export function keyFilterProblems(filter: KeyFilterSpec | undefined): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const side of ['include', 'exclude'] as const) {
    (filter?.[side] ?? []).forEach((p, i) => {
      const path = `keyFilter.${side}[${i}]`;
      const kinds = (['prefix', 'glob', 'regex'] as const).filter((k) => p[k] !== undefined);
      if (kinds.length !== 1) out.push({ path, message: `needs exactly one of "prefix", "glob" or "regex" (has ${kinds.length ? kinds.join(', ') : 'none'})` });
      if (p.regex !== undefined) {
        try {
          new RegExp(p.regex);
        } catch (err) {
          out.push({ path: `${path}.regex`, message: `is not a valid regular expression: ${(err as Error).message}` });
        }
      }
    });
  }
  return out;
}
