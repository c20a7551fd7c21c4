// The replica side of the replication link: what the engine imports.
export { ReplicaConnection, DEFAULT_ACK_INTERVAL_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS } from './replica-connection';
export type { ReplicaHandler, ReplicaOptions, ReplicaPhase, RdbStartInfo, RdbEndInfo, PsyncPosition } from './replica-connection';
export { ReplicationError, nodeName } from './errors';
export type { ReplicationErrorCode } from './errors';
export type { ParsedCommand } from '../resp/command-parser';
