// The daemon on a sync host over SSH: this package installed there (remote-scripts.ts has the host's layout), started
// under systemd or the project's supervisor, the prechecks run from there. Secrets (the spec) go on the standard input
// of one SSH command; the SSH key stays on this machine.
import type { SshRunnerSpec, TaskSpec } from '../../spec/types';
import type { PrecheckItem, TaskStatus } from '../../state/status';
import { daemonSpec, type DaemonView, type Runner } from '../runner';
import { SshConnection } from './ssh-connection';
import { SshError } from './ssh-errors';
import { packageIdentity, packageTarball } from './package-files';
import * as scripts from './remote-scripts';

interface HostFacts { manager: 'systemd' | 'supervisor'; crontab: boolean; hostname: string; node: string }

const MIN_NODE_MAJOR = 20;

export class SshRunner implements Runner {
  readonly kind = 'ssh';
  private readonly conn: SshConnection;
  private facts: HostFacts | null = null;
  private installed = false;

  constructor(private readonly target: SshRunnerSpec, pinnedHostKey: string | null) {
    this.conn = new SshConnection(target, pinnedHostKey);
  }

  get where(): string {
    return this.conn.where;
  }

  private dir(taskId: string): string {
    return scripts.taskDirExpr(this.target.dir, taskId);
  }

  /** A host that is booting (unreachable, or cloud-init still installing Node.js) gets waitForHostSeconds. */
  async probe(): Promise<void> {
    const deadline = Date.now() + (this.target.waitForHostSeconds ?? 0) * 1000;
    for (;;) {
      try {
        await this.hostFacts();
        return;
      } catch (err) {
        const kind = (err as SshError).kind;
        if ((kind !== 'unreachable' && kind !== 'noNode') || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  private async hostFacts(): Promise<HostFacts> {
    if (this.facts) return this.facts;
    const out = await this.conn.run(`sh -c ${scripts.sh(scripts.probeScript())}`, 'probing the host');
    const fields = new Map(out.split('\n').filter(Boolean).map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]));
    if (out.trim() === 'nonode' || !fields.has('node')) {
      throw new SshError('noNode', `no Node.js on ${this.where}: the daemon runs on the host with its own Node.js (${MIN_NODE_MAJOR} or later) in the PATH of "${this.target.user}" (Debian: apt-get install nodejs, or NodeSource's package). Nothing was installed on the host.`, this.where);
    }
    const [version, path] = fields.get('node')!.split(' ');
    if (Number(version.split('.')[0]) < MIN_NODE_MAJOR) {
      throw new SshError('noNode', `Node.js ${version} on ${this.where} (${path}) is too old: the daemon needs ${MIN_NODE_MAJOR} or later. Nothing was installed on the host.`, this.where);
    }
    this.facts = {
      manager: fields.get('manager') === 'systemd' ? 'systemd' : 'supervisor',
      crontab: fields.get('crontab') === 'yes',
      hostname: fields.get('host') ?? this.target.host,
      node: path,
    };
    return this.facts;
  }

  /** This package's version on the host (unpacked from a tarball streamed over SSH), unless it is there already. */
  private async install(taskId: string): Promise<void> {
    if (this.installed) return;
    await this.hostFacts();
    const identity = packageIdentity();
    await this.conn.run(`sh -c ${scripts.sh(scripts.installScript(this.dir(taskId), identity))}`, `installing ${identity}`, { input: packageTarball(), timeoutMs: 300_000 });
    this.installed = true;
  }

  async prechecks(spec: TaskSpec, resuming: boolean): Promise<PrecheckItem[]> {
    const id = spec.id ?? spec.name;
    await this.install(id);
    const out = await this.conn.run(`sh -c ${scripts.sh(scripts.precheckScript(this.dir(id), resuming))}`, 'the prechecks', { input: JSON.stringify(daemonSpec(spec, true)) });
    return JSON.parse(out) as PrecheckItem[];
  }

  async start(spec: TaskSpec): Promise<number> {
    const id = spec.id ?? spec.name;
    await this.install(id);
    const { manager, crontab } = await this.hostFacts();
    if (manager === 'supervisor' && !crontab) warn(`${this.where} has neither systemd nor crontab: task ${id} will not start at boot by itself (run pulumi up after a reboot)`);
    const label = spec.id && spec.id !== spec.name ? `${spec.name}/${spec.id}` : spec.name;
    const out = await this.conn.run(`sh -c ${scripts.sh(scripts.startScript(this.dir(id), id, label, manager))}`, 'starting the daemon', { input: JSON.stringify(daemonSpec(spec, true)) });
    const pid = Number(/pid (\d+)/.exec(out)?.[1] ?? /"pid":(\d+)/.exec(out)?.[1]);
    if (!pid) throw new Error(`the daemon of task ${id} did not start on ${this.where}: ${out.trim() || 'no pid'}; see ${this.hints(id).logs}`);
    return pid;
  }

  async inspect(taskId: string, pid: number | null): Promise<DaemonView> {
    const out = await this.conn.run(`sh -c ${scripts.sh(scripts.inspectScript(this.dir(taskId), taskId, pid))}`, 'reading the task');
    const sep = out.indexOf('---\n');
    const alive = Number(/^pid (\d+)/.exec(out)?.[1] ?? 0);
    const text = sep >= 0 ? out.slice(sep + 4).trim() : '';
    let status: TaskStatus | null = null;
    try { status = text ? (JSON.parse(text) as TaskStatus) : null; } catch { /* a status file being replaced: next time */ }
    return { status, pid: alive || null };
  }

  async stop(taskId: string): Promise<void> {
    await this.conn.run(`sh -c ${scripts.sh(scripts.stopScript(this.dir(taskId), taskId))}`, 'stopping the daemon', { timeoutMs: 60_000 });
  }

  async forgetCheckpoint(taskId: string): Promise<void> {
    await this.conn.run(`rm -f ${this.dir(taskId)}/state/${scripts.sh(taskId)}/checkpoint.json`, 'forgetting the checkpoint');
  }

  async remove(taskId: string): Promise<void> {
    await this.conn.run(`sh -c ${scripts.sh(scripts.removeScript(this.dir(taskId), taskId))}`, 'removing the task from the host');
  }

  hints(taskId: string): { status: string; logs: string } {
    const base = `${this.target.dir ?? '~/.redis-sync-runner'}/${taskId}`;
    const ssh = `ssh -p ${this.target.port ?? 22} ${this.target.user}@${this.target.host}`;
    return {
      status: `${ssh} ${base}/pkg/bin/redis-sync status ${taskId} --state-dir ${base}/state`,
      logs: `${ssh} ${base}/pkg/bin/redis-sync logs ${taskId} --state-dir ${base}/state`,
    };
  }

  hostKey(): string | null {
    return this.conn.hostKey();
  }

  close(): void {
    this.conn.close();
  }
}

function warn(message: string): void {
  try {
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    void pulumi.log.warn(message);
  } catch { /* outside Pulumi: nobody to tell */ }
}
