// An RDB file as the source: a backup (or a copied dump.rdb) loaded into the destination with the task's filter and
// renames, then, when the server it was saved from is given, that server's stream from the file's point onwards.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
// On the host that runs the daemon (this machine, or runner.ssh's host).
const rdbFile = cfg.require('rdbFile');
// Set: the file is that server's dump and its stream follows (PSYNC from the file's repl-id/repl-offset). Unset: the
// file alone, and the task ends in state Loaded.
const sourceNode = cfg.get('sourceNode');

const task = new RedisSyncTask('orders-restore', {
  source: sourceNode
    ? { rdbFile, mode: 'standalone', nodes: [sourceNode], password: cfg.requireSecret('srcPass') }
    : { rdbFile },
  destination: { mode: 'standalone', nodes: [cfg.require('destinationNode')], password: cfg.requireSecret('dstPass') },
  // Only the orders, under a new prefix; verify compares the destination with the file through the same rules.
  keyFilter: { include: [{ prefix: 'orders:' }] },
  keyRenames: [{ from: 'orders:', to: 'restored:orders:' }],
  // The file's load is the full sync: a big backup may take a while.
  waitTimeoutSeconds: 3600,
});

export const state = task.state; // Loaded (file only) or Synchronizing (the stream follows)
export const streams = task.streams; // fullSync: bytes of the file read, keys loaded
