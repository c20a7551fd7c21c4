// The daemon on the machine that runs `pulumi up`: a detached supervisor (daemon/daemon-process.ts).
import { rmSync } from 'node:fs';
import type { TaskSpec } from '../../spec/types';
import type { PrecheckItem } from '../../state/status';
import { taskPaths } from '../../state/files';
import { runPrechecks } from '../../precheck/run-prechecks';
import { spawnDaemon, stopDaemon, daemonPid, readStatus, isAlive } from '../../daemon/daemon-process';
import { daemonSpec, type DaemonView, type Runner } from '../runner';

export class LocalRunner implements Runner {
  readonly kind = 'local';
  readonly where = 'this machine';

  constructor(private readonly stateDir: string) {}

  async probe(): Promise<void> { /* this process runs: so can the daemon */ }

  prechecks(spec: TaskSpec, resuming: boolean): Promise<PrecheckItem[]> {
    return runPrechecks(spec, { resuming });
  }

  /** The provider ran the prechecks just now, so the daemon skips them (its restarts must not fail on its own keys). */
  start(spec: TaskSpec): Promise<number> {
    return spawnDaemon(daemonSpec(spec, false), this.stateDir, ['--skip-prechecks']);
  }

  async inspect(taskId: string, pid: number | null): Promise<DaemonView> {
    const alive = pid !== null ? (isAlive(pid) ? pid : null) : daemonPid(this.stateDir, taskId);
    return { status: readStatus(this.stateDir, taskId), pid: alive };
  }

  async stop(taskId: string): Promise<void> {
    await stopDaemon(this.stateDir, taskId);
  }

  async forgetCheckpoint(taskId: string): Promise<void> {
    rmSync(taskPaths(this.stateDir, taskId).checkpoint, { force: true });
  }

  async remove(taskId: string): Promise<void> {
    rmSync(taskPaths(this.stateDir, taskId).dir, { recursive: true, force: true });
  }

  hints(taskId: string): { status: string; logs: string } {
    return {
      status: `redis-sync status ${taskId} --state-dir ${this.stateDir}`,
      logs: `redis-sync logs ${taskId} --state-dir ${this.stateDir} (${taskPaths(this.stateDir, taskId).log})`,
    };
  }

  hostKey(): string | null { return null; }

  close(): void { /* nothing held */ }
}
