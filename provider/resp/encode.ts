// RESP encoding of commands as arrays of bulk strings: what Redis itself sends to replicas and what the writer sends.
export type Arg = Buffer | string | number;

function argBuffer(a: Arg): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(typeof a === 'number' ? String(a) : a);
}

export function encodeCommand(args: readonly Arg[]): Buffer {
  const bufs = args.map(argBuffer);
  let size = 1 + String(bufs.length).length + 2;
  for (const b of bufs) size += 1 + String(b.length).length + 2 + b.length + 2;
  const out = Buffer.allocUnsafe(size);
  let pos = out.write(`*${bufs.length}\r\n`, 0, 'latin1');
  for (const b of bufs) {
    pos += out.write(`$${b.length}\r\n`, pos, 'latin1');
    pos += b.copy(out, pos);
    out[pos++] = 13;
    out[pos++] = 10;
  }
  return out;
}
