// Commands and replies of the verification client, and the narrowing of a reply to the shape a command returns.
// Replies stay Buffers, so keys and values are compared as bytes.

export type CallArg = Buffer | string | number;
export type Call = [command: string, ...args: CallArg[]];

/** A RESP2 reply: bytes (bulk and simple strings), integers, nil, arrays, or an error reply. */
export type Reply = Buffer | number | null | Reply[] | Error;

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
