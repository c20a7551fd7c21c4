// Errors of the replication link, typed so the caller can decide between retrying and giving up.
// Messages name the source node as host:port and say what to do; they never contain a password.

export type ReplicationErrorCode =
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'TLS_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'READ_TIMEOUT'
  | 'CONNECTION_LOST'
  | 'AUTH_FAILED'
  | 'NOAUTH'
  | 'NOPERM'
  | 'PSYNC_UNAVAILABLE'
  | 'LOADING'
  | 'NOMASTERLINK'
  | 'UNEXPECTED_REPLY'
  | 'PROTOCOL'
  | 'HANDLER_FAILED';

const RETRYABLE: Record<ReplicationErrorCode, boolean> = {
  CONNECT_FAILED: true,
  CONNECT_TIMEOUT: true,
  TLS_FAILED: false,
  HANDSHAKE_TIMEOUT: true,
  READ_TIMEOUT: true,
  CONNECTION_LOST: true,
  AUTH_FAILED: false,
  NOAUTH: false,
  NOPERM: false,
  PSYNC_UNAVAILABLE: false,
  LOADING: true,
  NOMASTERLINK: true,
  UNEXPECTED_REPLY: false,
  // A stream that breaks the protocol was corrupted on the way (or by a bug): the task stops with the offset for a human
  // to look at, rather than reconnecting past a corruption that may also have hit bytes no parser can check.
  PROTOCOL: false,
  HANDLER_FAILED: false,
};

export class ReplicationError extends Error {
  override readonly name = 'ReplicationError';
  readonly retryable: boolean;
  constructor(
    readonly code: ReplicationErrorCode,
    /** host:port of the source node. */
    readonly node: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = RETRYABLE[code];
  }
}

/** Server text made safe to surface: the secret masked, control bytes dropped, length bounded. */
export function sanitize(text: string, secret: string | undefined, max = 200): string {
  let out = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  if (secret) out = out.split(secret).join('***');
  return out.length > max ? `${out.slice(0, max)}...` : out;
}
