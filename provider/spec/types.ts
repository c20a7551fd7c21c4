// The task spec: one shape for the CLI's task file and the Pulumi resource's inputs (schema.json is its source of truth).

export type Mode = 'standalone' | 'cluster';

export interface EndpointSpec {
  mode: Mode;
  /** "host:port" seeds; for a cluster any subset of its nodes. */
  nodes: string[];
  username?: string;
  password?: string;
  tls?: boolean;
}

/** One resolved server to connect to: what the connection code needs, with the password kept out of logs. */
export interface NodeAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
}

export interface HeartbeatSpec {
  key?: string;
  intervalMs?: number;
  db?: number;
  enabled?: boolean;
}

export interface TuningSpec {
  /** Commands in flight to the destination before the engine stops reading from the source. */
  pipelineCommands?: number;
  /** Bytes in flight to the destination before the engine stops reading from the source. */
  pipelineBytes?: number;
  /** Values larger than this (bytes of RDB) are rewritten as commands in chunks instead of one RESTORE. */
  bigKeyBytes?: number;
  /** Elements per command when a key is rewritten as commands. */
  rewriteChunkElements?: number;
  /** Most arguments in one command of the replication stream; a command declaring more fails the task. */
  maxCommandArgs?: number;
}

export interface TaskSpec {
  name: string;
  /**
   * The task's identity, unique per task: its keys on the servers, lease, ACL users and state dir carry it. The Pulumi
   * resource generates one at create; a CLI task file may set one (default: the name).
   */
  id?: string;
  source: EndpointSpec;
  destination: EndpointSpec;
  /** Source db numbers to synchronize; absent means all. */
  databases?: number[];
  existingData?: 'precheckAndReportErrors' | 'ignoreErrorsAndProceed';
  connectionRetryMinutes?: number;
  heartbeat?: HeartbeatSpec;
  tuning?: TuningSpec;
  /** Source db -> destination db; keys are decimal strings as JSON object keys must be. */
  databaseMapping?: Record<string, number>;
  forwardPublish?: boolean;
  ignorePrechecks?: string[];
  waitFor?: 'started' | 'synchronizing';
  waitTimeoutSeconds?: number;
  metrics?: { port: number };
  /** A periodic sampled verify in the daemon (provider/task/drift-check.ts). */
  verify?: { everyMinutes: number; sample?: number };
  /** Cut over to the destination at the next update (provider/cutover/cutover.ts). */
  cutover?: { pauseSeconds?: number; waitSeconds?: number; verifySample?: number };
  access?: { createUsers?: boolean };
  /** Where the daemon runs (the Pulumi resource only): this machine (absent, local) or a sync host over SSH. */
  runner?: RunnerSpec;
  stateDir?: string;
  clearDestinationOnUpdate?: boolean;
}

export interface RunnerSpec {
  local?: Record<string, never>;
  ssh?: SshRunnerSpec;
}

export interface SshRunnerSpec {
  host: string;
  port?: number;
  user: string;
  /** A secret: written to a 0600 temporary file for each operation, never sent to the host. */
  privateKey: string;
  /** "ssh-ed25519 AAAA..."; absent: trusted on first use and pinned in the state. */
  hostKey?: string;
  jump?: { host: string; port?: number; user: string; hostKey: string };
  dir?: string;
  connectTimeoutSeconds?: number;
  /** How long create retries a host that is unreachable or has no Node.js yet (a booting VM). */
  waitForHostSeconds?: number;
}
