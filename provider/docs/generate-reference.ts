// Generates docs/reference.md from schema.json, the single source of truth of the task spec:
//   node dist/provider/docs/generate-reference.js > docs/reference.md      (or: npm run docs)
// test/product/docs.test.ts fails when the committed page differs from what this prints.
import schemaJson from '../../schema.json';

export interface JsonSchema {
  $ref?: string;
  description?: string;
  type?: string;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  uniqueItems?: boolean;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  definitions?: Record<string, JsonSchema>;
  title?: string;
}

export interface Field {
  /** "source.nodes", "heartbeat.intervalMs" */
  path: string;
  schema: JsonSchema;
  required: boolean;
  depth: number;
}

/** A property's schema with its $ref resolved; the property's own keys (its description) win over the definition's. */
function resolve(s: JsonSchema, root: JsonSchema): JsonSchema {
  if (!s.$ref) return s;
  const m = /^#\/definitions\/(.+)$/.exec(s.$ref);
  const target = m ? root.definitions?.[m[1]] : undefined;
  if (!target) throw new Error(`schema.json: cannot resolve ${s.$ref}`);
  const { $ref: _ref, ...own } = s;
  return { ...resolve(target, root), ...own };
}

/** Every property path of the schema, depth first, in the schema's order. */
export function schemaFields(root: JsonSchema, node: JsonSchema = root, prefix = '', depth = 0): Field[] {
  const out: Field[] = [];
  const required = new Set(node.required ?? []);
  for (const [key, raw] of Object.entries(node.properties ?? {})) {
    const resolved = resolve(raw, root);
    // An array of a definition is described by the definition's type ("array of object", not "array of any").
    const s = resolved.items ? { ...resolved, items: resolve(resolved.items, root) } : resolved;
    const path = prefix ? `${prefix}.${key}` : key;
    out.push({ path, schema: s, required: required.has(key), depth });
    if (s.type === 'object' && s.properties) out.push(...schemaFields(root, s, path, depth + 1));
    if (s.type === 'array' && s.items) {
      const items = resolve(s.items, root);
      if (items.type === 'object' && items.properties) out.push(...schemaFields(root, items, `${path}[]`, depth + 1));
    }
  }
  return out;
}

/** JSON on one line with a space after ":" and ",", as people write it. */
function compactJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(compactJson).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${compactJson(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

function code(v: unknown): string {
  return `\`${JSON.stringify(v)}\``;
}

export function typeOf(s: JsonSchema, inTable = false): string {
  if (s.enum) return s.enum.map((v) => code(v)).join(inTable ? ' \\| ' : ' or ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items, inTable) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `object of ${typeOf(s.additionalProperties, inTable)}`;
  return s.type ?? 'any';
}

function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  if (s.minimum !== undefined && s.maximum !== undefined) out.push(`from ${s.minimum} to ${s.maximum}`);
  else if (s.minimum !== undefined) out.push(`at least ${s.minimum}`);
  else if (s.maximum !== undefined) out.push(`at most ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`);
  if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
  if (s.pattern) out.push(`matches \`${s.pattern}\``);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  if (s.uniqueItems) out.push('no duplicates');
  if (s.items) {
    const inner = constraints(s.items);
    if (inner.length) out.push(`each item: ${inner.join(', ')}`);
  }
  if (s.propertyNames) {
    const keys = constraints(s.propertyNames);
    if (keys.length) out.push(`keys: ${keys.join(', ')}`);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    const values = constraints(s.additionalProperties);
    if (values.length) out.push(`values: ${values.join(', ')}`);
  }
  if (s.type === 'object' && s.additionalProperties === false && s.properties) out.push('no other properties');
  return out;
}

/**
 * What a change of the field does to a deployed RedisSyncTask (provider/pulumi/provider.ts, update): every change is
 * an update of the same task; a new layout is re-copied in full, everything else resumes from the checkpoint.
 */
const RECOPIES = new Set(['databases', 'databaseMapping', 'keyFilter', 'keyRenames', 'source.mode', 'destination.mode', 'clearDestinationOnUpdate']);
const COSMETIC = new Set(['name', 'stateDir', 'waitFor', 'waitTimeoutSeconds']);

function onChange(path: string): string {
  if (path === 'id') return 'not a Pulumi input: the resource generates its task id at create';
  if (RECOPIES.has(path)) return 'updates the task: the new configuration is prechecked while the old one runs, then the synchronized databases are emptied and copied in full';
  if (COSMETIC.has(path)) return 'updates the task in place (the daemon restarts from its checkpoint; the task id, and so its keys, stay)';
  if (path === 'source' || path === 'destination') return 'updates the task, prechecked while the old one keeps running: a moved source continues with +CONTINUE; a destination that does not hold the task\'s checkpoint gets the existing-data precheck and a full sync (a change of mode re-copies in full)';
  return 'updates the task in place, prechecked while the old one keeps running (the daemon restarts from its checkpoint)';
}

const EXAMPLE = {
  name: 'orders',
  source: { mode: 'standalone', nodes: ['10.0.0.5:6379'], password: '<secret>' },
  destination: { mode: 'standalone', nodes: ['10.0.1.9:6379'], username: 'admin', password: '<secret>' },
  databases: [0, 3],
  databaseMapping: { 3: 1 },
  keyFilter: { include: [{ prefix: 'orders:' }, { glob: 'cart:*', databases: [0] }], exclude: [{ regex: ':tmp$' }] },
  keyRenames: [{ from: 'orders:', to: 'legacy-orders:' }],
  heartbeat: { intervalMs: 1000 },
  tuning: { pipelineCommands: 2000 },
  ignorePrechecks: ['destination-maxmemory-policy'],
  metrics: { port: 9121 },
};

/** The example task file the page shows; the docs test checks that it is a valid spec. */
export const REFERENCE_EXAMPLE: unknown = EXAMPLE;

export function generateReference(schema: JsonSchema = schemaJson as JsonSchema): string {
  const fields = schemaFields(schema);
  const lines: string[] = [];
  lines.push('# Task reference');
  lines.push('');
  lines.push('<!-- Generated from schema.json by provider/docs/generate-reference.ts: do not edit by hand, run `npm run docs`. -->');
  lines.push('');
  lines.push(`${schema.description ?? ''}`);
  lines.push('');
  lines.push('The same fields are the task file of `redis-sync run --config task.json` and `redis-sync verify`, and the inputs of the');
  lines.push('Pulumi resource `RedisSyncTask` (where `name` defaults to the resource name). A spec is checked against');
  lines.push('[`schema.json`](../schema.json) and each problem is reported on its path, e.g. `source.mode: must be one of "standalone", "cluster"`.');
  lines.push('');
  lines.push('```json');
  const entries = Object.entries(EXAMPLE);
  lines.push('{');
  entries.forEach(([k, v], i) => lines.push(`  ${JSON.stringify(k)}: ${compactJson(v)}${i < entries.length - 1 ? ',' : ''}`));
  lines.push('}');
  lines.push('```');
  lines.push('');
  lines.push('## All fields');
  lines.push('');
  lines.push('| field | type | default | required |');
  lines.push('|---|---|---|---|');
  for (const f of fields) {
    const anchor = f.path.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-'); // GitHub's heading anchors
    const def = f.schema.default === undefined ? '' : code(f.schema.default);
    lines.push(`| [\`${f.path}\`](#${anchor}) | ${typeOf(f.schema, true)} | ${def} | ${f.required ? 'yes' : ''} |`);
  }
  lines.push('');
  lines.push('## Fields');
  for (const f of fields) {
    lines.push('');
    lines.push(`${f.depth === 0 ? '###' : '####'} ${f.path}`);
    lines.push('');
    lines.push(f.schema.description ?? '(no description in schema.json)');
    lines.push('');
    lines.push(`- type: ${typeOf(f.schema)}`);
    lines.push(`- ${f.required ? 'required' : 'optional'}`);
    if (f.schema.default !== undefined) lines.push(`- default: ${code(f.schema.default)}`);
    for (const c of constraints(f.schema)) lines.push(`- ${c}`);
    if (f.depth === 0 || RECOPIES.has(f.path)) lines.push(`- on a Pulumi update: ${onChange(f.path)}`);
  }
  lines.push('');
  return lines.join('\n');
}

if (require.main === module) process.stdout.write(generateReference());
