// A standalone Redis with several databases into a cluster, which has only db 0: the databases are mapped onto it.
// Multi-key commands whose keys land in different slots are split (DEL, MSET...) or fail the task with CROSSSLOT.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const task = new RedisSyncTask('catalog', {
  source: { mode: 'standalone', nodes: [cfg.require('sourceNode')], password: cfg.requireSecret('srcPass') },
  destination: { mode: 'cluster', nodes: cfg.requireObject<string[]>('destinationSeeds'), password: cfg.requireSecret('dstPass') },
  databases: [0, 1],
  databaseMapping: { '1': 0 },
});

export const state = task.state;
