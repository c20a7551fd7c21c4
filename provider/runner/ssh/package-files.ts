// The files a sync host needs to run the daemon, taken from this very package (the version that runs `pulumi up`):
// the compiled provider, bin/redis-sync and the runtime dependencies, without the Pulumi SDK (the daemon never loads
// it) and without source maps. Sent as one tarball over the SSH connection, so the host needs nothing from a registry.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The package root: dist/provider/runner/ssh is four levels below it. */
export const PACKAGE_ROOT = join(__dirname, '..', '..', '..', '..');

/** Dependencies only the Pulumi side uses. */
const NOT_AT_RUNTIME = new Set(['@pulumi/pulumi']);

interface PackageJson { name?: string; version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** npm hoists dependencies: each is found in the nearest node_modules above the package that needs it. */
function findModule(name: string, from: string, root: string): string | null {
  for (let dir = from; dir.startsWith(root); dir = join(dir, '..')) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  return null;
}

/** Paths relative to the package root: what goes into the tarball. */
export function runtimeFiles(root = PACKAGE_ROOT): string[] {
  const own = readPackage(root);
  const modules = new Set<string>();
  const queue: Array<[string, string]> = Object.keys(own.dependencies ?? {}).filter((d) => !NOT_AT_RUNTIME.has(d)).map((d) => [d, root]);
  while (queue.length) {
    const [name, from] = queue.shift()!;
    const dir = findModule(name, from, root);
    if (!dir || modules.has(dir)) continue;
    modules.add(dir);
    const pkg = readPackage(dir);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) queue.push([dep, dir]);
  }
  const rel = (p: string): string => p.slice(root.length + 1);
  return ['package.json', 'schema.json', 'bin', join('dist', 'provider'), join('dist', 'schema.json'), ...[...modules].map(rel).sort()];
}

/** The package's name, version and a digest of its runtime files (size and mtime), so an unchanged install is kept. */
export function packageIdentity(root = PACKAGE_ROOT): string {
  const pkg = readPackage(root);
  const hash = createHash('sha256');
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else hash.update(`${p.slice(root.length)}:${st.size}:${st.mtimeMs}\n`);
  };
  for (const f of runtimeFiles(root)) walk(join(root, f));
  return `${pkg.name}@${pkg.version}+${hash.digest('hex').slice(0, 12)}`;
}

/** A gzipped tarball of the runtime files on a stream (GNU or BSD tar, both read by the host's tar). */
export function packageTarball(root = PACKAGE_ROOT): Readable {
  const tar = spawn('tar', ['-czf', '-', '--exclude=*.map', '--exclude=*.d.ts', '-C', root, ...runtimeFiles(root)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return tar.stdout;
}
