// A migration between two Sentinel-managed Redis deployments over mutual TLS with a private CA: only the session keys,
// renamed to the new naming scheme. Either side may fail over meanwhile: the task asks the sentinels again. Set
// `cutover` in config to switch over: the source is paused for the catch-up and the final verify only; with `reverse`
// a task from the new primary back to the old one starts at that moment, the rollback path.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const tls = {
  tls: true,
  tlsCa: cfg.require('caPem'), // PEM text or a path on the host that runs the daemon
  tlsCert: cfg.require('clientCertPem'),
  tlsKey: cfg.requireSecret('clientKeyPem'), // kept a secret in the state, given to the daemon on stdin
};
const cutover = cfg.getObject<{ reverse?: boolean }>('cutover');

const task = new RedisSyncTask('sessions', {
  source: { mode: 'sentinel', nodes: cfg.requireObject<string[]>('oldSentinels'), masterName: 'sessions', password: cfg.requireSecret('oldPass'), ...tls },
  destination: { mode: 'sentinel', nodes: cfg.requireObject<string[]>('newSentinels'), masterName: 'sessions', password: cfg.requireSecret('newPass'), ...tls },
  databases: [0],
  keyFilter: { include: [{ prefix: 'sess:' }], exclude: [{ glob: 'sess:*:tmp' }] },
  // A reverse sync cannot carry renamed keys back: renames only when no rollback path is wanted.
  ...(cutover?.reverse ? {} : { keyRenames: [{ from: 'sess:', to: 'session:' }] }),
  verify: { everyMinutes: 15, sample: 1000 },
  ...(cutover ? { cutover: { pauseSeconds: 60, waitSeconds: 20, verifySample: 10000, reverse: cutover.reverse ?? false } } : {}),
});

export const state = task.state; // Synchronizing, then CutOver
export const lagMs = task.lagMs;
export const lastVerify = task.lastVerify; // drift, refreshed by `pulumi refresh`
export const cutoverResult = task.cutoverResult; // final offsets, pauseMs, the verify: what DNS or config maps wait for
export const reverseTask = task.reverseTask;
