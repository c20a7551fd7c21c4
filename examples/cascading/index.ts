// Cascading: A -> B and B -> C at once. C converges to A; each hop has its own task and lag.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const endpoint = (name: string) => ({ mode: 'standalone' as const, nodes: [cfg.require(`${name}Node`)], password: cfg.requireSecret(`${name}Pass`) });

const ab = new RedisSyncTask('a-to-b', { source: endpoint('a'), destination: endpoint('b') });
// B -> C starts once A -> B is synchronizing, so C's full sync copies a complete B.
const bc = new RedisSyncTask('b-to-c', { source: endpoint('b'), destination: endpoint('c') }, { dependsOn: [ab] });

export const lag = { ab: ab.lagMs, bc: bc.lagMs };
