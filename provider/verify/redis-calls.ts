// The narrow place where ioredis's loosely typed replies become typed values: pipelines of raw commands whose
// replies stay Buffers, so keys and values are compared as bytes.
import type Redis from 'ioredis';

export type CallArg = Buffer | string | number;
export type Call = [command: string, ...args: CallArg[]];

/** A reply as RESP2 gives it through callBuffer: bytes, integers, nil, arrays, or an error. */
export type Reply = Buffer | number | null | Reply[] | Error;

/** Runs the calls as one pipeline; each reply (or error reply) comes back in call order. */
export async function pipelineCalls(client: Redis, calls: readonly Call[]): Promise<Reply[]> {
  if (calls.length === 0) return [];
  const p = client.pipeline();
  for (const [command, ...args] of calls) p.callBuffer(command, args);
  const results = (await p.exec()) ?? [];
  if (results.length !== calls.length) throw new Error(`pipeline returned ${results.length} replies for ${calls.length} commands`);
  return results.map(([err, value]) => (err ? err : toReply(value)));
}

export async function call(client: Redis, command: string, ...args: CallArg[]): Promise<Reply> {
  return toReply(await client.callBuffer(command, args));
}

function toReply(v: unknown): Reply {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || typeof v === 'number' || v instanceof Error) return v;
  if (Array.isArray(v)) return v.map(toReply);
  if (typeof v === 'string') return Buffer.from(v);
  throw new Error(`unexpected reply of type ${typeof v}`);
}

export function asBuffer(r: Reply): Buffer {
  if (Buffer.isBuffer(r)) return r;
  if (typeof r === 'number') return Buffer.from(String(r));
  if (r instanceof Error) throw r;
  throw new Error(`expected a bulk string, got ${r === null ? 'nil' : 'an array'}`);
}

export function asArray(r: Reply): Reply[] {
  if (Array.isArray(r)) return r;
  if (r instanceof Error) throw r;
  if (r === null) return [];
  throw new Error('expected an array reply');
}

export function asNumber(r: Reply): number {
  if (typeof r === 'number') return r;
  if (Buffer.isBuffer(r)) return Number(r.toString('latin1'));
  if (r instanceof Error) throw r;
  throw new Error('expected an integer reply');
}
