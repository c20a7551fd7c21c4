// Function libraries are server-wide, and in a cluster they are loaded on each master: every master's stream brings
// its own FUNCTION LOAD of a library (and its own DELETE), and a snapshot brings the libraries it has. One registry
// per task, shared by its streams, decides what the destination gets so that this is idempotent: a body the
// destination already got from another stream is not sent again, a different body replaces it (the newest to arrive
// wins, with a warning naming the library: the source masters disagree), a library is deleted once and only when
// no other stream still has it. Every command sent is keyless: a cluster writer sends it to every master.
import { createHash } from 'node:crypto';
import { encodeCommand } from '../resp/encode';

/** What the destination gets for one FUNCTION command: the commands (none: nothing to do) and why, when notable. */
export interface FunctionWrites {
  commands: Buffer[];
  warning: string | null;
}

interface Library {
  /** The body the destination was last sent; null once deleted there. */
  sha: string | null;
  /** Which streams have the library, with the body each has. */
  holders: Map<string, string>;
}

const REPLACE = Buffer.from('REPLACE');

function lower(b: Buffer | undefined): string {
  return b?.toString('latin1').toLowerCase() ?? '';
}

/** The library's name from its first line, `#!<engine> name=<name> ...` (as the server reads it); null: none. */
export function libraryName(code: Buffer): string | null {
  const end = code.indexOf(10);
  const first = code.toString('utf8', 0, end < 0 ? code.length : end);
  if (!first.startsWith('#!')) return null;
  const arg = first.split(' ').slice(1).find((a) => a.startsWith('name='));
  return arg ? arg.slice(5) : null;
}

/** Whether argv is a FUNCTION command (checked for every command: the length first). */
export function isFunctionCommand(argv: Buffer[]): boolean {
  return argv[0].length === 8 && lower(argv[0]) === 'function';
}

export class FunctionLibraries {
  private readonly libraries = new Map<string, Library>();

  /** A FUNCTION command of `stream`'s replication stream. */
  command(stream: string, argv: Buffer[]): FunctionWrites {
    switch (lower(argv[1])) {
      case 'load':
        return this.load(stream, argv[argv.length - 1]);
      case 'delete':
        return this.delete(stream, argv[2]?.toString('utf8') ?? '');
      case 'flush':
        return this.flush(stream, argv.slice(2));
      case 'restore':
        return this.restore(argv);
      default:
        return { commands: [encodeCommand(argv)], warning: null };
    }
  }

  /** A library of `stream`'s snapshot, or a FUNCTION LOAD [REPLACE] code of its stream: always sent with REPLACE. */
  load(stream: string, code: Buffer): FunctionWrites {
    const command = encodeCommand(['FUNCTION', 'LOAD', REPLACE, code]);
    const name = libraryName(code);
    // The destination refuses it the way the source would have (nothing to track).
    if (name === null) return { commands: [command], warning: null };
    const sha = createHash('sha1').update(code).digest('hex');
    const lib = this.libraries.get(name) ?? { sha: null, holders: new Map<string, string>() };
    this.libraries.set(name, lib);
    const others = [...lib.holders].filter(([s, body]) => s !== stream && body !== sha).map(([s]) => s);
    lib.holders.set(stream, sha);
    if (lib.sha === sha) return { commands: [], warning: null };
    lib.sha = sha;
    const warning = others.length === 0 ? null
      : `function library '${name}' from ${stream} differs from the one on ${others.join(', ')}: the source masters disagree; the destination gets the newest (from ${stream})`;
    return { commands: [command], warning };
  }

  private delete(stream: string, name: string): FunctionWrites {
    const lib = this.libraries.get(name);
    if (!lib) {
      // Not seen since the daemon started (a resumed stream): the destination has it from before.
      this.libraries.set(name, { sha: null, holders: new Map() });
      return { commands: [encodeCommand(['FUNCTION', 'DELETE', name])], warning: null };
    }
    lib.holders.delete(stream);
    // Already deleted there by another master's stream, or another master still has it: nothing to do.
    if (lib.sha === null || lib.holders.size > 0) return { commands: [], warning: null };
    lib.sha = null;
    return { commands: [encodeCommand(['FUNCTION', 'DELETE', name])], warning: null };
  }

  /** FUNCTION FLUSH on one master: the libraries other masters still have stay, the rest are deleted. */
  private flush(stream: string, args: Buffer[]): FunctionWrites {
    for (const lib of this.libraries.values()) lib.holders.delete(stream);
    const kept = [...this.libraries].filter(([, lib]) => lib.holders.size > 0);
    if (kept.length === 0) {
      for (const lib of this.libraries.values()) lib.sha = null;
      return { commands: [encodeCommand([Buffer.from('FUNCTION'), Buffer.from('FLUSH'), ...args])], warning: null };
    }
    const commands: Buffer[] = [];
    for (const [name, lib] of this.libraries) {
      if (lib.holders.size > 0 || lib.sha === null) continue;
      lib.sha = null;
      commands.push(encodeCommand(['FUNCTION', 'DELETE', name]));
    }
    return { commands, warning: null };
  }

  /**
   * FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: APPEND (the default) fails on a library another stream already
   * brought, so it becomes REPLACE. Which libraries the payload holds is not known: the registry starts over, so
   * the next loads and deletes are sent as they come.
   */
  private restore(argv: Buffer[]): FunctionWrites {
    const policy = lower(argv[3]);
    this.libraries.clear();
    if (policy === 'flush' || policy === 'replace') return { commands: [encodeCommand(argv)], warning: null };
    return { commands: [encodeCommand([argv[0], argv[1], argv[2], REPLACE])], warning: null };
  }
}
