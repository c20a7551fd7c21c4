// One consistent look at a group of keys of one source master while writes go on: WATCH the keys on the source, read
// the source's offset and the keys, wait until the destination applied that offset, read the destination, then an
// empty MULTI/EXEC on the source. EXEC succeeds only if no key changed on the source since the WATCH, so the source
// held what was read over the whole interval in which the destination was read: a difference then is real, not lag.
import type { EndpointReader } from './endpoint-reader';
import type { RespClient } from './resp-client';
import { readStates, type KeyReader, type KeyState } from './key-state';
import type { TaskProgress } from './task-progress';
import type { ValueForm } from './value-form';
import { asBuffer, type Call } from './redis-calls';

export interface WatchContext {
  source: EndpointReader;
  destination: EndpointReader;
  /** Null: no task runs into the destination (it is compared as it is). */
  progress: TaskProgress | null;
  /** How values are read on both sides so that they compare across releases. */
  form: ValueForm;
  /** Longest wait for the destination to apply an offset. */
  applyTimeoutMs: number;
  /** A source key's name on the destination (keyRenames); the key itself without renames. */
  destinationKey: (srcDb: number, key: Buffer) => Buffer;
}

export interface KeyGroup {
  /** The source master that owns the keys. */
  node: string;
  srcDb: number;
  dstDb: number;
  keys: Buffer[];
}

export type WatchedRead =
  | { kind: 'read'; stable: boolean; source: KeyState[]; destination: KeyState[]; sourceOffset: number; destinationOffset: number | null }
  | { kind: 'stuck'; reason: string };

/** The connection pinned for every read: the WATCH lives on it. */
export function pinned(conn: RespClient): KeyReader {
  return { nodeFor: () => conn.address, client: () => Promise.resolve(conn) };
}

export async function masterOffset(conn: RespClient): Promise<number> {
  const info = asBuffer(await conn.call('INFO', 'replication')).toString('latin1');
  const m = /master_repl_offset:(\d+)/.exec(info);
  if (!m) throw new Error(`${conn.address}: INFO replication has no master_repl_offset`);
  return Number(m[1]);
}

/** WATCH each key on its own (a cluster refuses one WATCH over keys of several slots), then the offset after them. */
export async function watchKeys(conn: RespClient, keys: readonly Buffer[]): Promise<number> {
  const calls: Call[] = keys.map((k) => ['WATCH', k]);
  for (const r of await conn.pipeline(calls)) if (r instanceof Error) throw r;
  return masterOffset(conn);
}

/** Ends the WATCH: true when no watched key changed since. */
export async function unchangedSinceWatch(conn: RespClient): Promise<boolean> {
  const [, exec] = await conn.pipeline([['MULTI'], ['EXEC']]);
  if (exec instanceof Error) throw exec;
  return exec !== null;
}

/** The destination's applied offset once it reached `offset` (null without a task to wait on), or why not. */
export async function destinationAt(ctx: WatchContext, node: string, offset: number): Promise<{ offset: number | null } | { stuck: string }> {
  if (!ctx.progress) return { offset: null };
  const a = await ctx.progress.waitApplied(node, offset, ctx.applyTimeoutMs);
  return 'stuck' in a ? a : { offset: a.offset };
}

export async function watchedRead(ctx: WatchContext, g: KeyGroup): Promise<WatchedRead> {
  const conn = await ctx.source.dedicated(g.node, g.srcDb);
  try {
    const sourceOffset = await watchKeys(conn, g.keys);
    const source = await readStates(pinned(conn), g.srcDb, g.keys, ctx.form);
    const at = await destinationAt(ctx, g.node, sourceOffset);
    if ('stuck' in at) return { kind: 'stuck', reason: at.stuck };
    const destination = await readStates(ctx.destination, g.dstDb, g.keys.map((k) => ctx.destinationKey(g.srcDb, k)), ctx.form);
    const stable = await unchangedSinceWatch(conn);
    return { kind: 'read', stable, source, destination, sourceOffset, destinationOffset: at.offset };
  } finally {
    conn.close();
  }
}
