// The demo program of the root Pulumi.yaml: one RedisSyncTask between the local servers scripts/demo.sh starts.
// Its config (set by the script): sourceMode, sourceNodes, destinationNodes, and the secrets srcPass and dstPass.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from '../../sdk';

const cfg = new pulumi.Config();

const task = new RedisSyncTask('demo', {
  source: {
    mode: (cfg.get('sourceMode') ?? 'standalone') as 'standalone' | 'cluster',
    nodes: cfg.requireObject<string[]>('sourceNodes'),
    password: cfg.requireSecret('srcPass'),
  },
  destination: {
    mode: (cfg.get('destinationMode') ?? 'standalone') as 'standalone' | 'cluster',
    nodes: cfg.requireObject<string[]>('destinationNodes'),
    username: 'default',
    password: cfg.requireSecret('dstPass'),
  },
  databases: cfg.getObject<number[]>('databases'),
  heartbeat: { intervalMs: 200 },
  waitFor: 'synchronizing',
});

export const taskId = task.taskId;
export const state = task.state;
export const lagMs = task.lagMs;
export const streams = task.streams;
export const warnings = task.warnings;
export const daemonHost = task.daemonHost;
