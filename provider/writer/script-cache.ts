// Which Lua scripts the destination has cached, so an EVALSHA is never sent for a script it does not know:
// a NOSCRIPT in a pipeline would come back after later commands already ran, too late to retry in order.
import { createHash } from 'node:crypto';
import { decodeCommand } from './command-text';
import { encodeCommand } from '../resp/encode';

/** Returns a script body by its SHA1 (lower-case hex), as tracked by the engine from EVAL / SCRIPT LOAD. */
export type ScriptBodyLookup = (sha: string) => Buffer | undefined;

export function scriptSha(body: Buffer): string {
  return createHash('sha1').update(body).digest('hex');
}

export class ScriptCache {
  private readonly loaded = new Set<string>();
  constructor(private readonly lookup: ScriptBodyLookup | undefined) {}

  /**
   * Looks at a command about to be sent; returns a SCRIPT LOAD to send before it when it is an EVALSHA of a
   * script not known to be cached and the engine knows the body; null otherwise.
   */
  before(name: string, command: Buffer): Buffer | null {
    if (name === 'EVALSHA' || name === 'EVALSHA_RO') {
      const sha = decodeCommand(command, 2)[1]?.toString('latin1').toLowerCase() ?? '';
      if (this.loaded.has(sha)) return null;
      const body = this.lookup?.(sha);
      if (!body) return null;
      this.loaded.add(sha);
      return encodeCommand(['SCRIPT', 'LOAD', body]);
    }
    if (name === 'EVAL' || name === 'EVAL_RO') {
      const body = decodeCommand(command, 2)[1];
      if (body) this.loaded.add(scriptSha(body));
    } else if (name === 'SCRIPT') {
      const [, sub, body] = decodeCommand(command, 3);
      const verb = sub?.toString('latin1').toUpperCase();
      if (verb === 'FLUSH') this.loaded.clear();
      else if (verb === 'LOAD' && body) this.loaded.add(scriptSha(body));
    }
    return null;
  }

  /** Records that an EVALSHA of this script succeeded, or that a NOSCRIPT proved it is gone. */
  set(sha: string, present: boolean): void {
    if (present) this.loaded.add(sha); else this.loaded.delete(sha);
  }
}

const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'SCRIPT']);

/**
 * The command's name when it is one the script cache follows (EVAL*, SCRIPT), else null. Reads the first bulk
 * string in place: this runs for every command, so the common ones must cost a length check.
 */
export function scriptCommandName(command: Buffer): string | null {
  // Every command sent passes here: the header is read by hand (`*<argc>\r\n$<len>\r\n`), no indexOf calls.
  let i = 1;
  while (i < command.length && command[i] !== 10) i++;
  let len = 0;
  let lenEnd = i + 2;
  for (; lenEnd < command.length && command[lenEnd] !== 13; lenEnd++) len = len * 10 + command[lenEnd] - 48;
  if (len !== 4 && len !== 6 && len !== 7 && len !== 10) return null;
  const first = command[lenEnd + 2] | 0x20;
  if (first !== 0x65 && first !== 0x73) return null; // e, s
  const name = command.toString('latin1', lenEnd + 2, lenEnd + 2 + len).toUpperCase();
  return SCRIPT_COMMANDS.has(name) ? name : null;
}
