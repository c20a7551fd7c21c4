// pino JSON lines into the task's log file. Passwords are redacted by path, and no code logs a spec or a node object
// with its credentials; the redaction is the second line of defence.
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'spec.source.password', 'spec.destination.password',
  'args.password', 'auth', '*.auth',
  'tlsKey', '*.tlsKey', '*.*.tlsKey', 'tlsSettings', '*.tlsSettings', '*.*.tlsSettings',
];

export function createLogger(file: string | null, level = process.env.REDIS_SYNC_LOG_LEVEL ?? 'info'): Logger {
  const destination = file ? pino.destination({ dest: file, mkdir: true, sync: false }) : pino.destination(2);
  return pino({ level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
