// Where a task's daemon runs: the machine that runs `pulumi up` (local) or a sync host over SSH. The Pulumi provider
// only talks to this interface; each runner lives in its own folder. The task's status and lease on its destination
// (state/remote-task.ts) stay the source of truth of whether it runs, from any machine; a runner adds what only the
// place it runs on knows (the daemon's own status file before it first reached the destination, its pid).
import type { TaskSpec } from '../spec/types';
import type { PrecheckItem, TaskStatus } from '../state/status';

export interface DaemonView {
  /** The daemon's status file on the machine it runs on, or null. */
  status: TaskStatus | null;
  /** The daemon's pid while it is alive there, else null. */
  pid: number | null;
}

export interface Runner {
  readonly kind: 'local' | 'ssh';
  /** For messages: "this machine", "admin@10.0.0.5:22". */
  readonly where: string;
  /** Fails with a message that says what is wrong and what to do when the daemon cannot run there (SSH, Node). */
  probe(): Promise<void>;
  /** Prepares the place (installs the package) and runs the prechecks from it. */
  prechecks(spec: TaskSpec, resuming: boolean): Promise<PrecheckItem[]>;
  /** Starts the daemon detached (or under the host's service manager); resolves with its pid. */
  start(spec: TaskSpec): Promise<number>;
  inspect(taskId: string, pid: number | null): Promise<DaemonView>;
  /** Stops the daemon there, gracefully; nothing running is fine. */
  stop(taskId: string): Promise<void>;
  /** Deletes the daemon's checkpoint file there, so that its next start syncs in full. */
  forgetCheckpoint(taskId: string): Promise<void>;
  /** Removes what the task left there (state, installed files, unit, boot entry). */
  remove(taskId: string): Promise<void>;
  /** Commands that show the task's status and log where it runs, for error messages. */
  hints(taskId: string): { status: string; logs: string };
  /** The SSH host key in use, to keep in the state (trust on first use); null for local. */
  hostKey(): string | null;
  /** Releases what the runner holds on this machine (the temporary key file). */
  close(): void;
}

/** The spec the daemon gets: no runner (the SSH key stays here) and, on another host, no local state dir. */
export function daemonSpec(spec: TaskSpec, remote: boolean): TaskSpec {
  const { runner: _runner, ...rest } = spec;
  if (remote) delete rest.stateDir;
  return rest;
}
