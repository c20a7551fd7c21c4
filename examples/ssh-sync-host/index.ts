// The daemon on a sync host next to the data, reached over SSH: `pulumi up` installs this package there, starts the
// task under the host's service manager and returns; the task keeps running after this machine is gone. Every
// setting comes from config, so any Output (another resource's address, a generated key) can take its place.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const task = new RedisSyncTask('near-the-data', {
  source: { mode: 'standalone', nodes: [cfg.require('sourceNode')], password: cfg.requireSecret('srcPass') },
  destination: { mode: 'standalone', nodes: [cfg.require('destinationNode')], password: cfg.requireSecret('dstPass') },
  runner: {
    ssh: {
      host: cfg.require('syncHost'),
      port: cfg.getNumber('syncHostPort'),
      user: cfg.get('syncHostUser') ?? 'root',
      // A secret: it stays on the machine that runs Pulumi (a 0600 temporary file for each operation).
      privateKey: cfg.requireSecret('syncHostPrivateKey'),
      // Pin the host's key (its /etc/ssh/ssh_host_ed25519_key.pub); without it the key seen first is kept.
      hostKey: cfg.get('syncHostPublicKey'),
      dir: cfg.get('syncHostDir'),
    },
  },
  access: { createUsers: cfg.getBoolean('createUsers') ?? false },
  heartbeat: { intervalMs: cfg.getNumber('heartbeatMs') ?? 1000 },
});

export const taskId = task.taskId;
export const state = task.state;
export const lagMs = task.lagMs;
export const daemonPid = task.daemonPid;
// The sync host's name and addresses: what the destination's allow-list must admit.
export const daemonHost = task.daemonHost;
