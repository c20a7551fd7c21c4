// The Prometheus text exposition format, version 0.0.4: "# HELP", "# TYPE", then one "name{label="value"} number" line
// per sample, every family's samples together. https://prometheus.io/docs/instrumenting/exposition_formats/
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The text of the families, in order; a family without samples still gets its HELP and TYPE lines. */
export function renderExposition(families: Family[]): string {
  const seen = new Set<string>();
  let out = '';
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`metric name "${f.name}" is not valid in the Prometheus format`);
    if (seen.has(f.name)) throw new Error(`metric "${f.name}" is defined twice`);
    seen.add(f.name);
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => {
        if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`label name "${k}" of ${f.name} is not valid in the Prometheus format`);
        return `${k}="${escapeLabelValue(v)}"`;
      });
      out += `${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
