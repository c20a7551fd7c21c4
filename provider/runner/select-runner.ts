// The runner a task's spec names: its runner.ssh host, else this machine.
import type { TaskSpec } from '../spec/types';
import type { Runner } from './runner';
import { LocalRunner } from './local/local-runner';
import { SshRunner } from './ssh/ssh-runner';

/** pinnedHostKey: the SSH host key kept in the state at create (used when the spec does not pin one itself). */
export function runnerFor(spec: TaskSpec, stateDir: string, pinnedHostKey: string | null): Runner {
  const ssh = spec.runner?.ssh;
  return ssh ? new SshRunner(ssh, pinnedHostKey) : new LocalRunner(stateDir);
}

/** Whether two specs run their daemon at the same place (same host, port, user and directory). */
export function sameRunner(a: TaskSpec, b: TaskSpec): boolean {
  const where = (s: TaskSpec): string => {
    const t = s.runner?.ssh;
    return t ? JSON.stringify([t.host, t.port ?? 22, t.user, t.dir ?? null]) : 'local';
  };
  return where(a) === where(b);
}
