// The task spec: one shape for the CLI's task file and the Pulumi resource's inputs (schema.json is its source of truth).

export type Mode = 'standalone' | 'cluster' | 'sentinel';

export interface EndpointSpec {
  mode: Mode;
  /** "host:port" seeds; for a cluster any subset of its nodes; for "sentinel" the sentinels. */
  nodes: string[];
  /** mode "sentinel": the master's name at the sentinels. */
  masterName?: string;
  username?: string;
  password?: string;
  tls?: boolean;
  /** CA bundle to verify the server with: PEM text or the path of a PEM file. */
  tlsCa?: string;
  /** Client certificate for mutual TLS: PEM text or a file path. */
  tlsCert?: string;
  /** The client certificate's private key: PEM text or a file path; a secret like the password. */
  tlsKey?: string;
  /** The name the server's certificate must carry (SNI); default the host of each node. */
  tlsServerName?: string;
  /** false: accept any server certificate (testing only). */
  tlsVerify?: boolean;
  /** Source only: the name PSYNC was renamed to (rename-command). */
  psyncCommand?: string;
  /** Source only (standalone): "host:port" of a replica to take the replication stream from, or "any". */
  readFrom?: string;
}

/**
 * The source: a live server (mode and nodes), an RDB file (rdbFile), or both: the file loaded as the snapshot, then
 * the server's replication stream from the file's point (its repl-id and repl-offset).
 */
export interface SourceSpec extends Omit<EndpointSpec, 'mode' | 'nodes'> {
  mode?: Mode;
  nodes?: string[];
  /** Path of an RDB file (a backup, a dump.rdb) on the host that runs the daemon. */
  rdbFile?: string;
}

/** An endpoint's TLS settings, files read: what every connection to its nodes is made with. */
export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  verify: boolean;
}

/** One resolved server to connect to: what the connection code needs, with the password kept out of logs. */
export interface NodeAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
  tlsSettings?: TlsSettings;
  /** What the replica handshake sends as PSYNC (source nodes; absent: PSYNC). */
  psyncCommand?: string;
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
  /** A cluster destination written in node batches with their checkpoints (exactly-once); false: at-least-once. */
  clusterExactlyOnce?: boolean;
  /** The worker's niceness once synchronizing (0-19, as nice(1); default 10): a source on its host takes the CPU first. */
  niceness?: number;
}

/** One key-name rule of keyFilter: exactly one of prefix, glob or regex. */
export interface KeyPatternSpec {
  prefix?: string;
  /** Redis glob (KEYS / SCAN MATCH), matched byte by byte. */
  glob?: string;
  /** JavaScript regular expression, matched against the key as UTF-8 text. */
  regex?: string;
  /** Source databases the rule applies to; absent: all. */
  databases?: number[];
}

export interface KeyFilterSpec {
  include?: KeyPatternSpec[];
  exclude?: KeyPatternSpec[];
}

/** A synchronized key starting with `from` is written as `to` + the rest of its name. */
export interface KeyRenameSpec {
  from: string;
  to: string;
  databases?: number[];
}

export interface TaskSpec {
  name: string;
  /**
   * The task's identity, unique per task: its keys on the servers, lease, ACL users and state dir carry it. The Pulumi
   * resource generates one at create; a CLI task file may set one (default: the name).
   */
  id?: string;
  source: SourceSpec;
  destination: EndpointSpec;
  /** Source db numbers to synchronize; absent means all. */
  databases?: number[];
  existingData?: 'precheckAndReportErrors' | 'ignoreErrorsAndProceed';
  connectionRetryMinutes?: number;
  heartbeat?: HeartbeatSpec;
  tuning?: TuningSpec;
  /** Source db -> destination db; keys are decimal strings as JSON object keys must be. */
  databaseMapping?: Record<string, number>;
  keyFilter?: KeyFilterSpec;
  keyRenames?: KeyRenameSpec[];
  forwardPublish?: boolean;
  ignorePrechecks?: string[];
  waitFor?: 'started' | 'synchronizing';
  waitTimeoutSeconds?: number;
  metrics?: { port: number };
  /** A periodic sampled verify in the daemon (provider/task/drift-check.ts). */
  verify?: { everyMinutes: number; sample?: number };
  /** Cut over to the destination at the next update (provider/cutover/cutover.ts). */
  cutover?: { pauseSeconds?: number; waitSeconds?: number; verifySample?: number; reverse?: boolean };
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
