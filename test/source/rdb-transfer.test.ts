// The RDB transfer on its own: preambles, keep-alives, the diskless EOF mark split at every position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RdbPreambleError, RdbTransfer } from '../../provider/source/rdb-transfer';

const MARK = 'a1b2c3d4e5'.repeat(4);
const PAYLOAD = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
const AFTER = Buffer.from('*1\r\n$4\r\nPING\r\n');

function run(chunks: Buffer[]): { rdb: Buffer; rest: Buffer; t: RdbTransfer } {
  const got: Buffer[] = [];
  const t = new RdbTransfer((c) => got.push(Buffer.from(c)));
  let rest: Buffer | null = null;
  for (const c of chunks) {
    if (rest !== null) rest = Buffer.concat([rest, c]);
    else rest = t.feed(c);
  }
  assert.ok(rest !== null, 'the transfer ended');
  return { rdb: Buffer.concat(got), rest, t };
}

function splits(wire: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= wire.length; i++) out.push([wire.subarray(0, i), wire.subarray(i)]);
  for (let i = 1; i < wire.length; i += 13) for (let j = i + 1; j < wire.length; j += 29) out.push([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
  const bytes: Buffer[] = [];
  for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
  out.push(bytes);
  return out;
}

test('disk-based: $<len>, keep-alives before it, the stream right after it', () => {
  const wire = Buffer.concat([Buffer.from(`\n\n\n$${PAYLOAD.length}\r\n`), PAYLOAD, AFTER]);
  for (const chunks of splits(wire)) {
    const { rdb, rest, t } = run(chunks);
    assert.deepEqual(rdb, PAYLOAD);
    assert.deepEqual(rest, AFTER);
    assert.equal(t.bytes, PAYLOAD.length);
    assert.equal(t.diskless, false);
  }
});

test('diskless: the mark is stripped wherever the chunks split it', () => {
  const wire = Buffer.concat([Buffer.from(`\n$EOF:${MARK}\r\n`), PAYLOAD, Buffer.from(MARK)]);
  for (const chunks of splits(wire)) {
    const { rdb, rest, t } = run(chunks);
    assert.deepEqual(rdb, PAYLOAD);
    assert.equal(rest.length, 0);
    assert.equal(t.diskless, true);
  }
});

test('diskless: a payload shorter than the mark, and an empty one', () => {
  for (const payload of [Buffer.from('REDIS'), Buffer.alloc(0)]) {
    const wire = Buffer.concat([Buffer.from(`$EOF:${MARK}\r\n`), payload, Buffer.from(MARK)]);
    for (const chunks of splits(wire)) assert.deepEqual(run(chunks).rdb, payload);
  }
});

test('a bad preamble is an error', () => {
  const t = new RdbTransfer(() => undefined);
  assert.throws(() => t.feed(Buffer.from('-ERR something\r\n')), RdbPreambleError);
  assert.throws(() => new RdbTransfer(() => undefined).feed(Buffer.from('$EOF:short\r\n')), RdbPreambleError);
});
