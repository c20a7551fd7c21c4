// The second fence, for every write a transaction cannot guard (the full sync's keys; a cluster destination): a new
// owner closes the destination connections of the task's former writers before it writes anything. Their processes
// may be paused with commands queued in their sockets; once the server has closed those connections nothing more
// from them is executed, and a writer that reconnects must take the lease first, which it no longer can.
// Needs CLIENT LIST/KILL on the destination (not granted to an access.createUsers user or by some managed services):
// without it this is skipped with a warning, and the lease and the checkpoint fence (fence.ts) remain.
import type Redis from 'ioredis';

export function writerClientName(taskId: string, writer: string): string {
  return `redis-sync:${taskId}:${writer}`;
}

/** Kills this task's connections of other writers on one node; resolves with how many were closed. */
export async function killFormerWriters(c: Redis, taskId: string, writer: string): Promise<number> {
  const prefix = `redis-sync:${taskId}:`;
  const mine = writerClientName(taskId, writer);
  const list = String(await c.call('CLIENT', 'LIST'));
  let killed = 0;
  for (const line of list.split('\n')) {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    if (!name || !id || !name.startsWith(prefix) || name === mine) continue;
    try {
      await c.call('CLIENT', 'KILL', 'ID', id);
      killed++;
    } catch { /* already gone */ }
  }
  return killed;
}
