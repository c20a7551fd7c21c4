// Why the writer stopped. An error reply means the destination refused a write: continuing would diverge it from
// the source, so the writer stops and reports the command and the offset it carried.

/** An error reply from the destination (OOM, WRONGTYPE, ERR unknown command, NOSCRIPT...). */
export class WriteError extends Error {
  readonly code: string;
  /** host:port of the destination node that refused it (set by the connection). */
  node?: string;
  constructor(
    /** The error reply text, e.g. "OOM command not allowed when used memory > 'maxmemory'." */
    readonly reply: string,
    /** The refused command, printable and truncated; AUTH arguments never appear. */
    readonly command: string,
    /** The replication offset tagged on the refused command, or null for an untagged one (RDB key, SELECT...). */
    readonly offset: number | null,
    /** For NOSCRIPT: the SHA1 of the script EVALSHA named, so the engine can SCRIPT LOAD it and resync. */
    readonly sha: string | null = null,
    /** The refused command's bytes as they were sent (the queued one for an error inside EXEC). */
    readonly raw: Buffer | null = null,
    /** The error came inside EXEC's reply: the rest of that transaction did run. */
    readonly inExec = false,
  ) {
    super(`destination refused ${command}${offset === null ? '' : ` (offset ${offset})`}: ${reply}`);
    this.name = 'WriteError';
    this.code = reply.split(' ', 1)[0] ?? 'ERR';
  }
}

/** The connection to the destination closed or failed with commands possibly unconfirmed. */
export class ConnectionLostError extends Error {
  constructor(readonly address: string, readonly reason: Error | null, readonly unconfirmed: number) {
    super(`connection to destination ${address} lost with ${unconfirmed} command(s) unconfirmed${reason ? `: ${reason.message}` : ''}`);
    this.name = 'ConnectionLostError';
  }
}

export type WriterFailure = WriteError | ConnectionLostError;
