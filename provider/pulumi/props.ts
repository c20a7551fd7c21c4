// The resource's properties as Pulumi stores them: the task spec without its passwords and TLS keys, which travel as
// separate top-level secrets (sourcePassword, destinationPassword, sourceTlsKey, destinationTlsKey) so that Pulumi
// encrypts exactly them and nothing else.
import type { TaskSpec, EndpointSpec } from '../spec/types';

/** What the engine sends for a value that is not known yet (during preview). */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export interface TaskProps extends Omit<TaskSpec, 'source' | 'destination'> {
  source: Omit<EndpointSpec, 'password' | 'tlsKey'>;
  destination: Omit<EndpointSpec, 'password' | 'tlsKey'>;
  sourcePassword?: string;
  destinationPassword?: string;
  sourceTlsKey?: string;
  destinationTlsKey?: string;
  /** runner.ssh.privateKey, taken out of runner so that Pulumi keeps exactly it a secret. */
  runnerPrivateKey?: string;
}

/** Inputs that are not part of the task spec itself. */
const RESOURCE_ONLY = ['sourcePassword', 'destinationPassword', 'sourceTlsKey', 'destinationTlsKey', 'runnerPrivateKey', '__provider'] as const;

export function propsToSpec(props: Record<string, unknown>): TaskSpec {
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (!(RESOURCE_ONLY as readonly string[]).includes(k) && !OUTPUT_KEYS.has(k) && v !== undefined) spec[k] = v;
  }
  const withSecrets = (ep: unknown, pw: unknown, key: unknown): unknown => {
    if (!ep || typeof ep !== 'object') return ep;
    return { ...(ep as object), ...(typeof pw === 'string' ? { password: pw } : {}), ...(typeof key === 'string' ? { tlsKey: key } : {}) };
  };
  spec.source = withSecrets(props.source, props.sourcePassword, props.sourceTlsKey);
  spec.destination = withSecrets(props.destination, props.destinationPassword, props.destinationTlsKey);
  const runner = props.runner as { ssh?: Record<string, unknown> } | undefined;
  if (runner?.ssh && typeof props.runnerPrivateKey === 'string') spec.runner = { ...runner, ssh: { ...runner.ssh, privateKey: props.runnerPrivateKey } };
  return spec as unknown as TaskSpec;
}

/** The outputs a refresh reads from the daemon; never inputs, so they never make a diff. */
export const OUTPUT_KEYS = new Set([
  'taskId', 'state', 'daemonPid', 'daemonRunning', 'daemonHost', 'lagMs', 'streams', 'lastError', 'prechecks', 'warnings', 'statusUpdatedAt', 'lastVerify', 'cutoverResult', 'reverseTask', 'runnerHostKey',
]);

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === 'object') return Object.values(value).some(containsUnknown);
  return false;
}
