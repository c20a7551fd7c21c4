export { RedisSyncTask } from './redis-sync-task';
export type { RedisSyncTaskArgs, EndpointArgs, SourceArgs, SyncStreamOutput, PrecheckOutput } from './redis-sync-task';
export type { TaskSpec, EndpointSpec } from '../provider/spec/types';
