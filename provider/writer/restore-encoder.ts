// RESTORE key ttl payload REPLACE [ABSTTL] [IDLETIME n | FREQ n], encoded in one buffer with the DUMP payload built
// in place (type byte + raw value + RDB version + CRC-64): the full sync writes one of these per key, so no
// intermediate payload buffer is made.
import { Crc64 } from '../rdb/crc64';
import { bulkSize, digitCount, writeBulk, writeHeader, type Arg } from '../resp/encode';

const RESTORE = Buffer.from('RESTORE');
const REPLACE = Buffer.from('REPLACE');
const ABSTTL = Buffer.from('ABSTTL');

export function encodeRestore(key: Buffer, ttl: number, absttl: boolean, rdbType: number, raw: Buffer, rdbVersion: number, tail: readonly Arg[] = []): Buffer {
  const ttlArg = Buffer.from(String(ttl), 'latin1');
  const tailBufs = tail.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1')));
  const payloadLen = 1 + raw.length + 10;
  const argc = 5 + (absttl ? 1 : 0) + tailBufs.length;
  let size = digitCount(argc) + 3 + bulkSize(RESTORE.length) + bulkSize(key.length) + bulkSize(ttlArg.length) + bulkSize(payloadLen) + bulkSize(REPLACE.length);
  if (absttl) size += bulkSize(ABSTTL.length);
  for (const b of tailBufs) size += bulkSize(b.length);
  const out = Buffer.allocUnsafe(size);
  let pos = writeHeader(out, 0, 42, argc);
  pos = writeBulk(out, pos, RESTORE);
  pos = writeBulk(out, pos, key);
  pos = writeBulk(out, pos, ttlArg);
  pos = writeHeader(out, pos, 36, payloadLen);
  const start = pos;
  out[pos++] = rdbType;
  out.set(raw, pos);
  pos += raw.length;
  out.writeUInt16LE(rdbVersion, pos);
  pos += 2;
  new Crc64().update(out, start, pos).digestLE().copy(out, pos);
  pos += 8;
  out[pos++] = 13;
  out[pos++] = 10;
  pos = writeBulk(out, pos, REPLACE);
  if (absttl) pos = writeBulk(out, pos, ABSTTL);
  for (const b of tailBufs) pos = writeBulk(out, pos, b);
  return out;
}
