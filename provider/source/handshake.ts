// The replica handshake, as redis-server's own replica does it (replication.c syncWithMaster):
// [AUTH] -> PING -> REPLCONF listening-port -> REPLCONF capa eof capa psync2 -> PSYNC.
// Each step is sent alone and its reply checked before the next, so a failure names the step that failed.
import type { NodeAddress } from '../spec/types';
import { ReplicationError, sanitize } from './errors';

/** Where to resume: the replid and the offset already applied (the same number as master_repl_offset). */
export interface PsyncPosition {
  replid: string;
  offset: number;
}

export type HandshakeStepKind = 'auth' | 'ping' | 'replconf-port' | 'replconf-capa' | 'psync';

export interface HandshakeStep {
  kind: HandshakeStepKind;
  args: string[];
}

export type PsyncReply =
  | { kind: 'fullresync'; replid: string; offset: number }
  | { kind: 'continue'; replid: string | null }
  /**
   * The RDB preamble itself ("$<len>" or "$EOF:<mark>"): the master served the request as the old SYNC, with no
   * replication id or offset. Redis does so for a renamed PSYNC (syncCommand compares the name it was called by).
   */
  | { kind: 'sync' };

const REPLID = /^[0-9a-f]{40}$/;

export function handshakeSteps(node: NodeAddress, listeningPort: number, psync: PsyncPosition | undefined): HandshakeStep[] {
  const steps: HandshakeStep[] = [];
  if (node.password !== undefined && node.password !== '') {
    const args = node.username ? ['AUTH', node.username, node.password] : ['AUTH', node.password];
    steps.push({ kind: 'auth', args });
  }
  steps.push({ kind: 'ping', args: ['PING'] });
  steps.push({ kind: 'replconf-port', args: ['REPLCONF', 'listening-port', String(listeningPort)] });
  steps.push({ kind: 'replconf-capa', args: ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'] });
  // Redis asks for the first byte it lacks, one past what it has processed.
  const name = node.psyncCommand ?? 'PSYNC';
  const psyncArgs = psync ? [name, psync.replid, String(psync.offset + 1)] : [name, '?', '-1'];
  steps.push({ kind: 'psync', args: psyncArgs });
  return steps;
}

/** Checks the reply to a step other than PSYNC; throws a ReplicationError when the handshake cannot go on. */
export function checkStepReply(kind: Exclude<HandshakeStepKind, 'psync'>, line: string, node: string, secret?: string): void {
  if (line.startsWith('+')) return;
  const text = sanitize(line.startsWith('-') ? line.slice(1) : line, secret);
  if (!line.startsWith('-')) {
    throw new ReplicationError('UNEXPECTED_REPLY', node, `unexpected reply to ${stepLabel(kind)} from source ${node}: "${text}"; is this a Redis server?`);
  }
  const code = errorCode(line);
  if (kind === 'auth') {
    const hint = /without any password configured/i.test(text)
      ? 'the source has no password configured: remove the password (and username) from the source endpoint'
      : 'check the source username and password';
    throw new ReplicationError('AUTH_FAILED', node, `authentication to source ${node} failed (${text}): ${hint}`);
  }
  if (code === 'NOAUTH') {
    throw new ReplicationError('NOAUTH', node, `source ${node} requires authentication (${text}): set the source password (and username for an ACL user)`);
  }
  if (code === 'NOPERM') {
    throw new ReplicationError('NOPERM', node, `the source user on ${node} may not run ${stepLabel(kind)} (${text}): grant it +ping +replconf +psync`);
  }
  // Like redis-server, ignore other REPLCONF errors: older or restricted servers lack some options.
  if (kind === 'replconf-port' || kind === 'replconf-capa') return;
  throw new ReplicationError('UNEXPECTED_REPLY', node, `source ${node} answered ${stepLabel(kind)} with an error (${text})`);
}

/** command: the name the handshake sent (source.psyncCommand), for the messages. */
export function parsePsyncReply(line: string, node: string, secret?: string, command = 'PSYNC'): PsyncReply {
  const text = sanitize(line.startsWith('-') || line.startsWith('+') ? line.slice(1) : line, secret);
  if (line.startsWith('+FULLRESYNC')) {
    const [, replid, off] = line.split(' ');
    const offset = Number(off);
    if (!REPLID.test(replid ?? '') || !Number.isSafeInteger(offset) || offset < 0) {
      throw new ReplicationError('UNEXPECTED_REPLY', node, `malformed FULLRESYNC from source ${node}: "${text}"`);
    }
    return { kind: 'fullresync', replid, offset };
  }
  if (line.startsWith('$')) return { kind: 'sync' };
  if (line === '+CONTINUE' || line.startsWith('+CONTINUE ')) {
    const replid = line.slice('+CONTINUE'.length).trim();
    if (replid !== '' && !REPLID.test(replid)) {
      throw new ReplicationError('UNEXPECTED_REPLY', node, `malformed CONTINUE from source ${node}: "${text}"`);
    }
    return { kind: 'continue', replid: replid === '' ? null : replid };
  }
  if (!line.startsWith('-')) {
    throw new ReplicationError('UNEXPECTED_REPLY', node, `unexpected reply to ${command} from source ${node}: "${text}"`);
  }
  switch (errorCode(line)) {
    case 'LOADING':
      throw new ReplicationError('LOADING', node, `source ${node} is loading its dataset (${text}); retry when it has finished`);
    case 'NOMASTERLINK':
      throw new ReplicationError('NOMASTERLINK', node, `source ${node} is a replica without a link to its master (${text}); retry later or sync from its master`);
    case 'NOAUTH':
      throw new ReplicationError('NOAUTH', node, `source ${node} requires authentication (${text}): set the source password`);
    case 'NOPERM':
      throw new ReplicationError('NOPERM', node, `the source user on ${node} may not run ${command} (${text}): grant it +${command.toLowerCase()} +replconf +ping`);
    default:
      if (/unknown command/i.test(text)) {
        const hint = command === 'PSYNC'
          ? 'it was renamed or disabled (rename-command) or the service forbids replicas: set source.psyncCommand to the name it was renamed to (managed services tell it), or enable PSYNC on the source'
          : `check source.psyncCommand ("${command}") against the name PSYNC was renamed to on the source`;
        throw new ReplicationError('PSYNC_UNAVAILABLE', node, `source ${node} does not accept ${command} (${text}): ${hint}`);
      }
      throw new ReplicationError('UNEXPECTED_REPLY', node, `source ${node} refused ${command} (${text})`);
  }
}

function errorCode(line: string): string {
  const space = line.indexOf(' ');
  return line.slice(1, space < 0 ? undefined : space).toUpperCase();
}

function stepLabel(kind: HandshakeStepKind): string {
  switch (kind) {
    case 'auth': return 'AUTH';
    case 'ping': return 'PING';
    case 'replconf-port': return 'REPLCONF listening-port';
    case 'replconf-capa': return 'REPLCONF capa';
    case 'psync': return 'PSYNC';
  }
}
