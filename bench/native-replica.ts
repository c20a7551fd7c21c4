// The native replica every bench compares with: REPLICAOF, then the time until its link is up and its sync is done.
import { sleep, type RedisServer } from '../test/harness/redis';

/** Makes `replica` follow `master` and resolves with the seconds until it is synchronized (bounded polls, 5 ms apart). */
export async function replicateFrom(replica: RedisServer, master: RedisServer): Promise<number> {
  const t0 = Date.now();
  await replica.client().call('REPLICAOF', master.host, String(master.port));
  for (let i = 0; i < 200_000; i++) {
    const info = await replica.client().info('replication');
    if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)) break;
    await sleep(5);
  }
  return (Date.now() - t0) / 1000;
}
