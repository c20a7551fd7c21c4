// The real Pulumi CLI with a local file backend, in a throwaway project that uses this package as a user would.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, symlinkSync, writeFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './daemon';

let binDir: string | null = null;

/** The directory holding `pulumi` and its Node.js plugins (built from Go modules on first use, then cached). */
export function pulumiBinDir(): string {
  binDir ??= execFileSync('bash', [join(REPO_ROOT, 'scripts', 'install-pulumi.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 }).trim().split('\n').pop()!;
  return binDir;
}

export interface PulumiProject {
  dir: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: RunOptions): Promise<{ code: number; stdout: string; stderr: string }>;
  setConfig(key: string, value: string, secret?: boolean): Promise<void>;
  remove(): void;
}

/** node_modules of links to this repository's packages, plus pulumi-redis-sync itself, as `npm install` would give. */
function linkNodeModules(dir: string): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(nm);
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(nm, entry));
  }
  symlinkSync(REPO_ROOT, join(nm, 'pulumi-redis-sync'));
}

export interface RunOptions {
  allowFail?: boolean;
  timeoutMs?: number;
  /** Run the CLI in a process group of its own and SIGKILL that whole group once it exits, as a CI runner does. */
  killGroupAfter?: boolean;
}

export interface ProjectOptions {
  /** Share this project's backend (its stacks and their state): another checkout of the same infra repo. */
  backendOf?: PulumiProject;
  /** Directories hidden from the CLI and the daemons it starts (a private mount namespace with a tmpfs over each). */
  hide?: string[];
}

export function createProject(name: string, programJs: string, projectOpts: ProjectOptions = {}): PulumiProject {
  const dir = mkdtempSync(join(tmpdir(), `redis-sync-pulumi-${name}-`));
  writeFileSync(join(dir, 'Pulumi.yaml'), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, main: 'index.js', dependencies: { 'pulumi-redis-sync': 'file:' + REPO_ROOT } }));
  writeFileSync(join(dir, 'index.js'), programJs);
  linkNodeModules(dir);
  mkdirSync(join(dir, '.backend'));
  if (projectOpts.backendOf) {
    // The stack's config (its secrets are encrypted with the passphrase and this file's salt) comes with the checkout.
    for (const f of readdirSync(projectOpts.backendOf.dir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) copyFileSync(join(projectOpts.backendOf.dir, f), join(dir, f));
  }
  const stateDir = join(dir, '.redis-sync');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(dir, '.home'),
    PATH: `${pulumiBinDir()}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: projectOpts.backendOf ? projectOpts.backendOf.env.PULUMI_BACKEND_URL : `file://${join(dir, '.backend')}`,
    PULUMI_CONFIG_PASSPHRASE: 'test-passphrase',
    PULUMI_HOME: join(dir, '.pulumi-home'),
    PULUMI_SKIP_UPDATE_CHECK: '1',
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: '1',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: '1',
    REDIS_SYNC_STATE_DIR: stateDir,
    NO_COLOR: '1',
  };
  const project: PulumiProject = {
    dir, stateDir, env,
    run(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const hide = projectOpts.hide ?? [];
        const [cmd, argv] = hide.length
          ? ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${hide.map((_, i) => `mount -t tmpfs none "$${i + 1}" && `).join('')}shift ${hide.length} && exec pulumi "$@"`, 'sh', ...hide, ...args, '--non-interactive']]
          : ['pulumi', [...args, '--non-interactive']];
        // execFile passes `detached` on to spawn (its types leave it out).
        const options = { cwd: dir, env, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' as const, detached: opts.killGroupAfter === true };
        const child = execFile(cmd, argv, options, (err, stdout, stderr) => {
          if (opts.killGroupAfter && child.pid) {
            try { process.kill(-child.pid, 'SIGKILL'); } catch { /* the group is empty */ }
          }
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          if (code !== 0 && !opts.allowFail) reject(new Error(`pulumi ${args.join(' ')} exited ${code}\n${stdout}\n${stderr}`));
          else resolve({ code, stdout, stderr });
        });
      });
    },
    async setConfig(key, value, secret = false) {
      await project.run(['config', 'set', ...(secret ? ['--secret'] : []), key, value]);
    },
    remove() { rmSync(dir, { recursive: true, force: true }); },
  };
  return project;
}

/** The RedisSyncTask resources' outputs as the state holds them (stack outputs are not re-read by a refresh). */
export async function taskOutputs(p: PulumiProject): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await p.run(['stack', 'export']);
  const deployment = JSON.parse(stdout) as { deployment: { resources?: Array<{ type: string; outputs: Record<string, unknown> }> } };
  return (deployment.deployment.resources ?? []).filter((r) => r.type.endsWith(':RedisSyncTask')).map((r) => r.outputs);
}

/** The program the tests deploy: one RedisSyncTask whose args come from config (passwords as secrets). */
export const TASK_PROGRAM = `
const pulumi = require('@pulumi/pulumi');
const { RedisSyncTask } = require('pulumi-redis-sync');
const cfg = new pulumi.Config();
const args = JSON.parse(cfg.require('taskArgs'));
const srcPass = cfg.getSecret('srcPass');
const dstPass = cfg.getSecret('dstPass');
if (srcPass) args.source.password = srcPass;
if (dstPass) args.destination.password = dstPass;
const task = new RedisSyncTask('task', args);
exports.state = task.state;
exports.streams = task.streams;
exports.lagMs = task.lagMs;
exports.daemonPid = task.daemonPid;
exports.daemonRunning = task.daemonRunning;
exports.prechecks = task.prechecks;
`;
