// A DUMP-format payload (what DUMP returns and RESTORE takes): type byte + value bytes + RDB version (2 bytes LE)
// + CRC-64 of all that (8 bytes LE). The reader keeps each value's raw bytes, so a payload is built without re-encoding.
import { Crc64 } from './crc64';

export function buildDumpPayload(rdbType: number, raw: Buffer, rdbVersion: number): Buffer {
  const out = Buffer.allocUnsafe(1 + raw.length + 2 + 8);
  out[0] = rdbType;
  raw.copy(out, 1);
  out.writeUInt16LE(rdbVersion, 1 + raw.length);
  const crc = new Crc64().update(out, 0, 1 + raw.length + 2).digestLE();
  crc.copy(out, 1 + raw.length + 2);
  return out;
}

/** Splits a DUMP payload back into its parts, checking the trailer; throws on a payload that is too short or corrupt. */
export function parseDumpPayload(payload: Buffer): { rdbType: number; raw: Buffer; rdbVersion: number } {
  if (payload.length < 11) throw new Error(`DUMP payload of ${payload.length} bytes is shorter than the 11-byte minimum`);
  const body = payload.length - 10;
  const expected = new Crc64().update(payload, 0, body + 2).digestLE();
  if (!expected.equals(payload.subarray(body + 2))) throw new Error('DUMP payload CRC-64 mismatch');
  return { rdbType: payload[0], raw: payload.subarray(1, body), rdbVersion: payload.readUInt16LE(body) };
}
