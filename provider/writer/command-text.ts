// Reading back an encoded command (a RESP array of bulk strings): its name, its arguments, and a printable form
// for errors. Only used off the hot path (errors, and EVAL*/SCRIPT commands for the script cache).

const MAX_PRINTABLE = 200;

/** The arguments of an encoded command; throws on bytes that are not an array of bulk strings. */
export function decodeCommand(command: Buffer, limit = Infinity): Buffer[] {
  if (command[0] !== 0x2a) throw new Error('not a RESP array');
  let lineEnd = command.indexOf(13, 1);
  const n = parseInt(command.toString('latin1', 1, lineEnd), 10);
  const out: Buffer[] = [];
  let pos = lineEnd + 2;
  for (let i = 0; i < n && i < limit; i++) {
    lineEnd = command.indexOf(13, pos);
    const len = parseInt(command.toString('latin1', pos + 1, lineEnd), 10);
    out.push(command.subarray(lineEnd + 2, lineEnd + 2 + len));
    pos = lineEnd + 2 + len + 2;
  }
  return out;
}

/** A key or argument shown to a human: utf8 when it is printable text, else base64 with a "b64:" prefix. */
export function printableBytes(b: Buffer): string {
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  return Buffer.byteLength(s) === b.length && !/[\u0000-\u001f\u007f\ufffd]/.test(s) ? s : `b64:${b.toString('base64')}`;
}

/** A truncated one-line form of a command; AUTH and HELLO ... AUTH never show their credentials. */
export function printableCommand(command: Buffer): string {
  let args: Buffer[];
  try { args = decodeCommand(command, 16); } catch { return '<unparseable command>'; }
  const name = args[0]?.toString('latin1').toUpperCase() ?? '';
  if (name === 'AUTH' || name === 'HELLO' || name === 'MIGRATE') return `${name} <redacted>`;
  let text = args.map((a) => (a.length > 64 ? `${printableBytes(a.subarray(0, 64))}...(${a.length} bytes)` : printableBytes(a))).join(' ');
  if (text.length > MAX_PRINTABLE) text = `${text.slice(0, MAX_PRINTABLE)}...`;
  return text;
}
