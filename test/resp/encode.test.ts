// The full sync's hand-written encoders must produce exactly what the generic encoder does, for every argument
// shape RESTORE takes here and for numbers at every digit-count boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, writeBulkInt, intBulkSize } from '../../provider/resp/encode';
import { encodeRestore, type RestoreEviction } from '../../provider/writer/restore-encoder';
import { buildDumpPayload } from '../../provider/rdb/dump-payload';

const NUMBERS = [0, 1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 1_764_000_000_000, 2 ** 53 - 1];

test('writeBulkInt writes what encodeCommand writes for a number, in intBulkSize bytes', () => {
  for (const n of NUMBERS) {
    const out = Buffer.alloc(intBulkSize(n) + 2, 0xee);
    const end = writeBulkInt(out, 1, n);
    assert.equal(end, 1 + intBulkSize(n), `size of ${n}`);
    const generic = encodeCommand([n]).subarray(4); // drop "*1\r\n"
    assert.deepEqual(out.subarray(1, end), generic, `bytes of ${n}`);
    assert.equal(out[0], 0xee);
    assert.equal(out[end], 0xee, `no write past the end for ${n}`);
  }
});

test('encodeRestore equals the generic RESTORE encoding with a DUMP payload, for every option', () => {
  const key = Buffer.from('key:\r\n\x00é', 'latin1');
  const raw = Buffer.from([0x05, 0x61, 0x6c, 0x70, 0x68, 0x61, 0x0d, 0x0a, 0xff]);
  const evictions: RestoreEviction[] = [null, { idleSeconds: 0 }, { idleSeconds: 12345 }, { freq: 255 }];
  for (const ttl of NUMBERS) {
    for (const absttl of [false, true]) {
      for (const eviction of evictions) {
        for (const rdbVersion of [9, 11, 300]) {
          const got = encodeRestore(key, ttl, absttl, 2, raw, rdbVersion, eviction);
          const args: Array<Buffer | string | number> = ['RESTORE', key, ttl, buildDumpPayload(2, raw, rdbVersion), 'REPLACE'];
          if (absttl) args.push('ABSTTL');
          if (eviction && 'freq' in eviction) args.push('FREQ', eviction.freq);
          if (eviction && 'idleSeconds' in eviction) args.push('IDLETIME', eviction.idleSeconds);
          assert.deepEqual(got, encodeCommand(args), JSON.stringify({ ttl, absttl, eviction, rdbVersion }));
        }
      }
    }
  }
});
