// Whether a process still runs: used on daemons, which the tests and `pulumi refresh` kill and check for.
import { readFileSync } from 'node:fs';

/** A killed daemon stays a zombie until its (adopted) parent reaps it, and kill(pid, 0) still succeeds on one. */
export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust kill()
  }
}
