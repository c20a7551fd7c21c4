// A cluster into another cluster: one replication stream per source master, writes routed by slot. The shard counts
// may differ (3 -> 2, 3 -> 6...). After scaling the source, `pulumi up` with clearDestinationOnUpdate re-copies.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const task = new RedisSyncTask('sessions', {
  source: { mode: 'cluster', nodes: cfg.requireObject<string[]>('sourceSeeds'), password: cfg.requireSecret('srcPass') },
  destination: { mode: 'cluster', nodes: cfg.requireObject<string[]>('destinationSeeds'), password: cfg.requireSecret('dstPass') },
  connectionRetryMinutes: 720,
  clearDestinationOnUpdate: cfg.getBoolean('reshardedSource') ?? false,
});

export const state = task.state;
export const streams = task.streams; // one per source master: offsets, lag, full-sync progress
