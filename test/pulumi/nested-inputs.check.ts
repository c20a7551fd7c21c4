// Compiled with the project (never run): a program may pass another resource's outputs at any depth of the args, as
// it would a VM's address or a generated setting. If these stop type-checking, `npm run build` fails.
import * as pulumi from '@pulumi/pulumi';
import { RedisSyncTask } from '../../sdk/redis-sync-task';

export function nestedInputs(): RedisSyncTask {
  return new RedisSyncTask('typed', {
    source: { mode: 'standalone', nodes: [pulumi.output('127.0.0.1:6379')], password: pulumi.secret('p') },
    destination: pulumi.output({ mode: 'standalone' as const, nodes: ['127.0.0.1:6380'] }),
    heartbeat: { intervalMs: pulumi.output(500), key: pulumi.output('hb') },
    databases: [pulumi.output(0), 1],
    databaseMapping: { '1': pulumi.output(0) },
    tuning: pulumi.output({ pipelineCommands: 10 }),
    waitFor: pulumi.output('synchronizing' as const),
  });
}
