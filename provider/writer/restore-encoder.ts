// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME n | FREQ n], encoded in one buffer with the DUMP payload built
// in place (type byte + raw value + RDB version + CRC-64): the full sync writes one of these per key, so nothing is
// allocated but the command itself (no payload buffer, no strings for the numbers, no digest buffer).
import { Crc64 } from '../rdb/crc64';
import { bulkSize, intBulkSize, writeBulk, writeBulkInt, writeHeader } from '../resp/encode';

const REPLACE = Buffer.from('REPLACE');
const ABSTTL = Buffer.from('ABSTTL');
const IDLETIME = Buffer.from('IDLETIME');
const FREQ = Buffer.from('FREQ');
/** `*<argc>\r\n$7\r\nRESTORE\r\n` for the argument counts RESTORE can have here (4 to 8). */
const HEADS = [4, 5, 6, 7, 8].map((argc) => Buffer.from(`*${argc}\r\n$7\r\nRESTORE\r\n`));
const crc = new Crc64();

/** The LRU idle time or the LFU counter of a key, as RESTORE takes them. */
export type RestoreEviction = { idleSeconds: number } | { freq: number } | null;

/** replace false: for Redis before 3.0, which has no REPLACE (the caller DELs the key first). */
export function encodeRestore(key: Buffer, ttl: number, absttl: boolean, rdbType: number, raw: Buffer, rdbVersion: number, eviction: RestoreEviction = null, replace = true): Buffer {
  const payloadLen = 1 + raw.length + 10;
  const evictionName = eviction === null ? null : 'freq' in eviction ? FREQ : IDLETIME;
  const evictionValue = eviction === null ? 0 : 'freq' in eviction ? eviction.freq : eviction.idleSeconds;
  const head = HEADS[(replace ? 1 : 0) + (absttl ? 1 : 0) + (evictionName ? 2 : 0)];
  let size = head.length + bulkSize(key.length) + intBulkSize(ttl) + bulkSize(payloadLen);
  if (replace) size += bulkSize(REPLACE.length);
  if (absttl) size += bulkSize(ABSTTL.length);
  if (evictionName) size += bulkSize(evictionName.length) + intBulkSize(evictionValue);
  const out = Buffer.allocUnsafe(size);
  out.set(head, 0);
  let pos = writeBulk(out, head.length, key);
  pos = writeBulkInt(out, pos, ttl);
  pos = writeHeader(out, pos, 36, payloadLen);
  const start = pos;
  out[pos++] = rdbType;
  out.set(raw, pos);
  pos += raw.length;
  out[pos++] = rdbVersion & 0xff;
  out[pos++] = rdbVersion >>> 8;
  crc.reset().update(out, start, pos).writeLE(out, pos);
  pos += 8;
  out[pos++] = 13;
  out[pos++] = 10;
  if (replace) pos = writeBulk(out, pos, REPLACE);
  if (absttl) pos = writeBulk(out, pos, ABSTTL);
  if (evictionName) {
    pos = writeBulk(out, pos, evictionName);
    writeBulkInt(out, pos, evictionValue);
  }
  return out;
}
