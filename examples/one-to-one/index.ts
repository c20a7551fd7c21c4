// One standalone Redis into another: the task copies everything, then every write, until `pulumi destroy`.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const task = new RedisSyncTask('orders', {
  source: { mode: 'standalone', nodes: [cfg.require('sourceNode')], password: cfg.requireSecret('srcPass') },
  destination: { mode: 'standalone', nodes: [cfg.require('destinationNode')], username: 'admin', password: cfg.requireSecret('dstPass') },
  // Refuse to start on a destination that already has keys (the default, as DTS's "Precheck and Report Errors").
  existingData: 'precheckAndReportErrors',
  access: { createUsers: true },
});

export const state = task.state;
export const lagMs = task.lagMs;
export const daemonHost = task.daemonHost; // for the destination's allow-list
