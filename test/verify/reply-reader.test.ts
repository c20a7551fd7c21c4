import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyReader, ReplyError } from '../../provider/verify/reply-reader';
import type { Reply } from '../../provider/verify/redis-calls';

test('values are parsed the same whichever way the bytes are split, big ones included', () => {
  const big = Buffer.alloc(3 << 20, 0x61);
  const bytes = Buffer.concat([
    Buffer.from('+OK\r\n-WRONGTYPE x\r\n:-7\r\n$-1\r\n*2\r\n$2\r\n\r\n\r\n*0\r\n'),
    Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n:1\r\n'),
  ]);
  for (const step of [1 << 16, 1 << 20, 5, bytes.length]) {
    const r = new ReplyReader();
    const got: Reply[] = [];
    const budget = step < 100 ? 200 : bytes.length; // byte-at-a-time only over the small head
    for (let i = 0; i < bytes.length; i += i < budget ? step : 1 << 16) r.feed(bytes.subarray(i, i + (i < budget ? step : 1 << 16)), (v) => got.push(v));
    assert.equal(got.length, 7, `split every ${step}`);
    assert.deepEqual(got[0], Buffer.from('OK'));
    assert.ok(got[1] instanceof ReplyError && got[1].message === 'WRONGTYPE x');
    assert.equal(got[2], -7);
    assert.equal(got[3], null);
    assert.deepEqual(got[4], [Buffer.from('\r\n'), []]);
    assert.ok(Buffer.isBuffer(got[5]) && got[5].equals(big));
    assert.equal(got[6], 1);
  }
});

test('a reply of 300k elements arriving in 64 KiB reads is parsed in linear time', () => {
  const n = 300_000;
  const parts: Buffer[] = [Buffer.from(`*${n}\r\n`)];
  for (let i = 0; i < n; i++) parts.push(Buffer.from(`$${String(i).length}\r\n${i}\r\n`));
  const bytes = Buffer.concat(parts);
  const r = new ReplyReader();
  const got: Reply[] = [];
  const started = Date.now();
  for (let i = 0; i < bytes.length; i += 1 << 16) r.feed(bytes.subarray(i, i + (1 << 16)), (v) => got.push(v));
  assert.equal(got.length, 1);
  const arr = got[0];
  assert.ok(Array.isArray(arr) && arr.length === n);
  assert.deepEqual(arr[n - 1], Buffer.from(String(n - 1)));
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
});
