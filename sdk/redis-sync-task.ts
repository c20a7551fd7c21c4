// RedisSyncTask: a sync task declared as code. `pulumi up` prechecks it and starts its detached daemon, `pulumi
// refresh` reads the daemon's status into the outputs, `pulumi destroy` stops it and removes what it added.
import * as pulumi from '@pulumi/pulumi';
import type { TaskSpec, EndpointSpec, SourceSpec, RunnerSpec } from '../provider/spec/types';
// Types only: the outputs as the daemon writes them; nothing of the provider is loaded at import.
import type { FullSyncProgress, VerifyResult } from '../provider/state/status';
import type { CutoverResult } from '../provider/cutover/cutover';

/**
 * Every level may be an Output of another resource (`heartbeat: { intervalMs: cfg.requireNumber('hb') }`, a VM's
 * address in `nodes`): the engine resolves them before the provider sees the inputs.
 */
type DeepInput<T> = [NonNullable<T>] extends [Array<infer U>]
  ? pulumi.Input<Array<DeepInput<U>>>
  : [NonNullable<T>] extends [object] ? pulumi.Input<{ [K in keyof NonNullable<T>]: DeepInput<NonNullable<T>[K]> }> : pulumi.Input<T>;
type Inputs<T> = { [K in keyof T]: DeepInput<T[K]> };

export interface EndpointArgs extends Inputs<Omit<EndpointSpec, 'nodes'>> {
  nodes: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The source: a server (mode, nodes), an RDB file on the host that runs the daemon (rdbFile: the task ends in state
 * Loaded once it is in), or both (the file, then that server's stream from the file's repl-id/repl-offset).
 */
export interface SourceArgs extends Inputs<Omit<SourceSpec, 'nodes'>> {
  nodes?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface RedisSyncTaskArgs extends Inputs<Omit<TaskSpec, 'name' | 'id' | 'source' | 'destination'>> {
  /** Task name; defaults to the resource name. */
  name?: pulumi.Input<string>;
  source: pulumi.Input<SourceArgs>;
  destination: pulumi.Input<EndpointArgs>;
  /** Where the daemon keeps its state on the host that runs `pulumi up` (default ~/.redis-sync). */
  stateDir?: pulumi.Input<string>;
  /** On an update, empty the destination's synchronized databases and sync in full (after a shard change). */
  clearDestinationOnUpdate?: pulumi.Input<boolean>;
}

export interface SyncStreamOutput {
  node: string;
  state: string;
  replid: string | null;
  appliedOffset: number;
  receivedOffset: number;
  lastSync: 'full' | 'continue' | null;
  lagMs: number | null;
  commandsApplied: number;
  reconnects: number;
  fullSync: FullSyncProgress;
}

export interface PrecheckOutput { id: string; result: string; message: string; node?: string }

/** What the cutover input did (state CutOver): the paused source's offsets, the destination's, the pause, the verify. */
export type CutoverOutput = CutoverResult;

/** The reverse task of a cutover with reverse, as its daemon publishes it on the old source. */
export interface ReverseTaskOutput {
  taskId: string;
  state: string;
  daemonRunning: boolean;
  lagMs: number | null;
  lastError: string | null;
  streams: Array<{ node: string; state: string; appliedOffset: number; lastSync: string | null; lagMs: number | null; commandsApplied: number }>;
}

/** The daemon's last periodic verify (input `verify`): drift of the destination. */
export type VerifyOutput = VerifyResult;

/** The real implementation is loaded when a method runs, so the serialized provider stays a few lines long. */
function impl(): typeof import('../provider/pulumi/provider') {
  try {
    return require('pulumi-redis-sync/dist/provider/pulumi/provider');
  } catch {
    // The project's own demo runs inside this repository, where the package is not in node_modules: find its root
    // above the program's directory (the provider's working directory).
    const path = require('path') as typeof import('path');
    for (let dir = process.cwd(), i = 0; i < 20; dir = path.dirname(dir), i++) {
      try {
        if (require(path.join(dir, 'package.json')).name === 'pulumi-redis-sync') {
          return require(path.join(dir, 'dist', 'provider', 'pulumi', 'provider'));
        }
      } catch { /* no package.json here */ }
    }
    throw new Error('cannot find the pulumi-redis-sync package: install it in the Pulumi program (npm install pulumi-redis-sync)');
  }
}

const provider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => impl().check(olds, news),
  diff: (id, olds, news) => impl().diff(id, olds, news),
  create: (inputs) => impl().create(inputs),
  read: (id, props) => impl().read(id, props),
  update: (id, olds, news) => impl().update(id, olds, news),
  delete: (id, props) => impl().deleteTask(id, props),
};

function withoutSecrets(ep: pulumi.Input<EndpointArgs | SourceArgs>): pulumi.Input<unknown> {
  // Taken apart before pulumi.output() so that a secret password or key does not make the whole endpoint secret.
  if (!pulumi.Output.isInstance(ep) && !(ep instanceof Promise)) {
    const { password: _password, tlsKey: _key, ...rest } = ep as EndpointArgs | SourceArgs;
    return rest;
  }
  return pulumi.output(ep).apply((e) => {
    const { password: _password, tlsKey: _key, ...rest } = e as EndpointSpec;
    return rest;
  });
}

/** runner without runner.ssh.privateKey, which travels as its own secret (runnerPrivateKey). */
function withoutPrivateKey(runner: pulumi.Input<DeepInput<RunnerSpec>> | undefined): pulumi.Input<unknown> | undefined {
  if (runner === undefined) return undefined;
  // Taken apart without apply() where the program passed plain objects, so that a secret key does not make the
  // host, user and host key secret too.
  const plain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !pulumi.Output.isInstance(v) && !(v instanceof Promise);
  if (plain(runner) && (runner.ssh === undefined || plain(runner.ssh))) {
    if (!runner.ssh) return runner;
    const { privateKey: _key, ...ssh } = runner.ssh;
    return { ...runner, ssh };
  }
  return pulumi.output(runner).apply((r) => {
    if (!r?.ssh) return r;
    const { privateKey: _key, ...ssh } = r.ssh;
    return { ...r, ssh };
  });
}

function privateKeyOf(runner: pulumi.Input<DeepInput<RunnerSpec>> | undefined): pulumi.Output<string | undefined> {
  return pulumi.secret(pulumi.output(runner).apply((r) => (r as RunnerSpec | undefined)?.ssh?.privateKey));
}

function secretOf(ep: pulumi.Input<EndpointArgs | SourceArgs>, field: 'password' | 'tlsKey'): pulumi.Output<string | undefined> {
  // Always a secret, even when the program passed a plain string: it must never reach the state in plaintext.
  return pulumi.secret(pulumi.output(ep).apply((e) => (e as EndpointSpec)[field]));
}

export class RedisSyncTask extends pulumi.dynamic.Resource {
  /** The task's identity on the servers (its keys, lease, ACL users carry it): the name and a suffix of its own. */
  declare readonly taskId: pulumi.Output<string>;
  /** Prechecking, Initializing (full sync), Synchronizing, Retrying, Failed, Stopped, Loaded (an RDB file source, done), or DaemonNotRunning. */
  declare readonly state: pulumi.Output<string>;
  declare readonly daemonPid: pulumi.Output<number>;
  declare readonly daemonRunning: pulumi.Output<boolean>;
  /** The sync host's SSH key this task is pinned to (runner.ssh.hostKey, or the one seen at create); null locally. */
  declare readonly runnerHostKey: pulumi.Output<string | null>;
  /** Host name and addresses of the machine the daemon runs on (the sync host, for runner.ssh), for allow-lists. */
  declare readonly daemonHost: pulumi.Output<{ hostname: string; addresses: string[] }>;
  declare readonly lagMs: pulumi.Output<number | null>;
  declare readonly streams: pulumi.Output<SyncStreamOutput[]>;
  declare readonly lastError: pulumi.Output<string | null>;
  declare readonly prechecks: pulumi.Output<PrecheckOutput[]>;
  declare readonly warnings: pulumi.Output<string[]>;
  /** The last periodic verify (with the `verify` input), null before the first: `pulumi refresh` shows drift here. */
  declare readonly lastVerify: pulumi.Output<VerifyOutput | null>;
  /** Set once the cutover input cut the task over (state CutOver); null otherwise. */
  declare readonly cutoverResult: pulumi.Output<CutoverOutput | null>;
  /** With cutover.reverse, once cut over: the reverse task carrying the destination's writes back; null otherwise. */
  declare readonly reverseTask: pulumi.Output<ReverseTaskOutput | null>;

  constructor(name: string, args: RedisSyncTaskArgs, opts?: pulumi.CustomResourceOptions) {
    const { source, destination, runner, ...rest } = args;
    const props: Record<string, unknown> = {
      ...rest,
      name: args.name ?? name,
      source: withoutSecrets(source),
      destination: withoutSecrets(destination),
      sourcePassword: secretOf(source, 'password'),
      destinationPassword: secretOf(destination, 'password'),
      sourceTlsKey: secretOf(source, 'tlsKey'),
      destinationTlsKey: secretOf(destination, 'tlsKey'),
      runner: withoutPrivateKey(runner),
      runnerPrivateKey: privateKeyOf(runner),
      taskId: undefined, state: undefined, daemonPid: undefined, daemonRunning: undefined, daemonHost: undefined, lagMs: undefined,
      streams: undefined, lastError: undefined, prechecks: undefined, warnings: undefined, lastVerify: undefined, cutoverResult: undefined, reverseTask: undefined, runnerHostKey: undefined,
    };
    super(provider, name, props, {
      ...opts,
      additionalSecretOutputs: ['sourcePassword', 'destinationPassword', 'sourceTlsKey', 'destinationTlsKey', 'runnerPrivateKey', ...(opts?.additionalSecretOutputs ?? [])],
    }, 'redis-sync', 'RedisSyncTask');
  }
}
