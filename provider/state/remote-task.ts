// A task as its destination describes it, from any machine: its published status and the holder of its lease.
import type { TaskSpec } from '../spec/types';
import { resolveTask } from '../spec/resolve';
import type { TaskStatus } from './status';
import { statusKey } from './task-keys';
import { readLease, requestStop, isDeadHere, describeHolder, leaseMs, type LeaseHolder } from './lease';
import { withMetaClient } from './meta-client';
import { withSentinelMaster } from '../sentinel/sentinel-master';

export interface RemoteTask {
  status: TaskStatus | null;
  /** The daemon that runs the task now, or null (none; or one on this host whose processes are gone). */
  holder: LeaseHolder | null;
}

/** Reads the task from its destination; throws when the destination cannot be reached. */
export async function readRemoteTask(given: TaskSpec): Promise<RemoteTask> {
  const spec = await withSentinelMaster(given, ['destination']);
  const task = resolveTask(spec);
  return withMetaClient(spec.destination.mode, task.destinationNodes, async (c) => {
    const [holder, text] = await Promise.all([readLease(c, task.id), c.get(statusKey(task.id))]);
    return { holder: holder && !isDeadHere(holder) ? holder : null, status: text ? (JSON.parse(text) as TaskStatus) : null };
  });
}

/**
 * Asks the daemon that holds the task's lease, wherever it runs, to stop, and waits until it gave the lease back (or
 * the lease expired). Resolves with the holder that was asked, null when none ran; throws when it did not stop.
 */
export async function stopRemoteTask(given: TaskSpec, timeoutMs = leaseMs() + 20_000): Promise<LeaseHolder | null> {
  const spec = await withSentinelMaster(given, ['destination']);
  const task = resolveTask(spec);
  return withMetaClient(spec.destination.mode, task.destinationNodes, async (c) => {
    const asked = await readLease(c, task.id);
    // Nobody, or a holder on this host that is gone (a successor takes such a lease over at once).
    if (!asked || isDeadHere(asked)) return null;
    await requestStop(c, task.id);
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      if (!(await readLease(c, task.id))) return asked;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the daemon of task ${task.id} on ${describeHolder(asked)} did not stop within ${Math.round(timeoutMs / 1000)} s: stop it there (redis-sync stop ${task.id})`);
  });
}
