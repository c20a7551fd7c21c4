// One source, two destinations: two independent tasks, each with its own heartbeat key and checkpoint.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const source = { mode: 'standalone' as const, nodes: [cfg.require('sourceNode')], password: cfg.requireSecret('srcPass') };

const dr = new RedisSyncTask('dr-copy', {
  source,
  destination: { mode: 'standalone', nodes: [cfg.require('drNode')], password: cfg.requireSecret('drPass') },
});
const reporting = new RedisSyncTask('reporting-copy', {
  source,
  destination: { mode: 'cluster', nodes: cfg.requireObject<string[]>('reportingSeeds'), password: cfg.requireSecret('reportingPass') },
  databases: [0],
});

export const states = { dr: dr.state, reporting: reporting.state };
