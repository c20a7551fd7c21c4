// The documentation stays true: docs/reference.md is what the generator makes of schema.json today and names every
// property path; every precheck id and every metric is documented; the troubleshooting page covers the common errors;
// links between the pages point at files and headings that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { REPO_ROOT } from '../harness/daemon';
import { generateReference, REFERENCE_EXAMPLE } from '../../provider/docs/generate-reference';
import { validateSpec } from '../../provider/spec/validate';

const DOCS = join(REPO_ROOT, 'docs');
const read = (p: string): string => readFileSync(join(REPO_ROOT, p), 'utf8');

interface Schema { $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema; definitions?: Record<string, Schema> }

/** Every property path of schema.json, walked here independently of the generator. */
function propertyPaths(root: Schema): string[] {
  const paths: string[] = [];
  const deref = (s: Schema): Schema => (s.$ref ? root.definitions![s.$ref.replace('#/definitions/', '')] : s);
  const walk = (s: Schema, prefix: string): void => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const path = prefix ? `${prefix}.${k}` : k;
      paths.push(path);
      const r = deref(v);
      if (r.properties) walk(r, path);
      if (r.items && deref(r.items).properties) walk(deref(r.items), `${path}[]`);
    }
  };
  walk(root, '');
  return paths;
}

test('docs/reference.md is up to date with schema.json (regenerate with npm run docs)', () => {
  const committed = read('docs/reference.md');
  const fresh = generateReference();
  if (committed !== fresh) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const i = a.findIndex((line, n) => line !== b[n]);
    assert.fail(`docs/reference.md differs from the generator's output at line ${i + 1}:\n  committed: ${a[i]}\n  generated: ${b[i]}\nrun: npm run docs`);
  }
  // The runnable form prints the same page.
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'provider', 'docs', 'generate-reference.js')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, committed);
});

test('docs/reference.md covers every property of schema.json, with its description', () => {
  const schema = JSON.parse(read('schema.json')) as Schema;
  const doc = read('docs/reference.md');
  const paths = propertyPaths(schema);
  assert.ok(paths.length >= 30, `only ${paths.length} paths found: the walk is wrong`);
  for (const p of paths) {
    assert.match(doc, new RegExp(`^#{3,4} ${p.replace(/[.[\]]/g, '\\$&')}$`, 'm'), `no section for ${p}`);
    assert.ok(doc.includes(`| [\`${p}\`](#`), `no summary row for ${p}`);
  }
  // Each description of the schema appears on the page.
  const descriptions: string[] = [];
  const collect = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries(s)) {
      if (k === 'description' && typeof v === 'string') descriptions.push(v);
      else collect(v);
    }
  };
  collect(schema.properties);
  collect(schema.definitions);
  for (const d of descriptions) assert.ok(doc.includes(d), `description missing: ${d.slice(0, 60)}`);
});

test('the example task file of the reference is a valid spec', () => {
  assert.doesNotThrow(() => validateSpec(REFERENCE_EXAMPLE));
  const doc = read('docs/reference.md');
  const json = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
  assert.ok(json, 'no example on the page');
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(REFERENCE_EXAMPLE)));
});

/** Precheck ids as the code writes them: pass/warn/fail('id'...), id: '...', const id = `${side}-...`. */
function precheckIds(): string[] {
  const ids = new Set<string>();
  const dir = join(REPO_ROOT, 'provider', 'precheck');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    const re = /(?:\b(?:pass|warn|fail)\(\s*|\bid:\s*|\bconst id = )(['`])(\$\{side\}-[a-z0-9]+(?:-[a-z0-9]+)*|[a-z0-9]+(?:-[a-z0-9]+)+)\1/g;
    for (const m of src.matchAll(re)) {
      const id = m[2];
      if (id.startsWith('${side}-')) for (const side of ['source', 'destination']) ids.add(id.replace('${side}', side));
      else ids.add(id);
    }
  }
  return [...ids].sort();
}

test('docs/prechecks.md explains every precheck id', () => {
  const ids = precheckIds();
  assert.ok(ids.includes('destination-empty') && ids.includes('source-connectivity') && ids.length >= 15, `ids found: ${ids.join(', ')}`);
  const doc = read('docs/prechecks.md');
  const headings = doc.split('\n').filter((l) => l.startsWith('## '));
  for (const id of ids) {
    assert.ok(doc.includes(`| [\`${id}\`](#`), `docs/prechecks.md has no table row for ${id}`);
    assert.ok(headings.some((h) => h.split(/[ ,]+/).includes(id)), `docs/prechecks.md has no section for ${id}`);
  }
});

test('docs/troubleshooting.md covers the common errors, each with what, where and what to do', () => {
  const doc = read('docs/troubleshooting.md');
  const sections = doc.split(/^## /m).slice(1);
  const topics: Array<[string, RegExp]> = [
    ['auth', /^Authentication/], ['unreachable', /^Cannot connect/], ['destination not empty', /^Destination already has keys/],
    ['OOM', /^OOM/], ['WRONGTYPE', /^WRONGTYPE/], ['PSYNC disabled', /^PSYNC disabled/], ['backlog overrun', /backlog overrun/],
    ['daemon not running', /^DaemonNotRunning/], ['CROSSSLOT', /^CROSSSLOT/],
  ];
  for (const [topic, heading] of topics) {
    const s = sections.find((x) => heading.test(x));
    assert.ok(s, `no section about ${topic}`);
    assert.match(s, /\*\*What you see\*\*/, `${topic}: what the user sees`);
    assert.match(s, /\*\*What to do\*\*/, `${topic}: what to do`);
    assert.match(s, /\*\*Where\*\*[^\n]*(redis-sync (status|logs|list)|pulumi refresh)/, `${topic}: where to look`);
  }
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

test('links between the docs point at files and headings that exist', () => {
  const pages = readdirSync(DOCS).filter((f) => f.endsWith('.md'));
  assert.ok(['reference.md', 'metrics.md', 'prechecks.md', 'troubleshooting.md'].every((p) => pages.includes(p)));
  const anchorsOf = (path: string): Set<string> =>
    new Set(readFileSync(path, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
  for (const page of pages) {
    const path = join(DOCS, page);
    const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1];
      if (/^[a-z]+:/.test(link)) continue; // http(s)
      const [file, anchor] = link.split('#');
      const target = file ? join(dirname(path), file) : path;
      assert.ok(existsSync(target), `${page}: link to missing ${link}`);
      if (anchor && target.endsWith('.md')) assert.ok(anchorsOf(target).has(anchor), `${page}: no heading for #${anchor} in ${file || page}`);
    }
  }
});
