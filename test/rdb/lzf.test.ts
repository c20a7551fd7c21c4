// LZF strings as a real redis-server compresses them (DUMP payloads), decoded by the reader's value decoder: a run of
// one byte (filled natively), long back-references with and without overlap (copied natively or byte by byte), short
// ones, and data LZF cannot shrink. Each must decode to exactly the value SET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startRedis } from '../harness/redis';
import { parseDumpPayload } from '../../provider/rdb/dump-payload';
import { decodeRaw } from '../../provider/rdb/value';

test('LZF: runs, long and overlapping back-references and literals decode to the value Redis compressed', { timeout: 30_000 }, async () => {
  const block300 = randomBytes(300);
  const block100 = randomBytes(100);
  const values: Record<string, Buffer> = {
    run: Buffer.from('v'.repeat(5000)),
    'run-after-text': Buffer.concat([Buffer.from('value:12345:'), Buffer.alloc(3000)]),
    'far-copies': Buffer.concat([block300, randomBytes(50), block300, randomBytes(7), block300]),
    'overlapping-copies': Buffer.concat(Array.from({ length: 30 }, () => block100)),
    'two-byte-pattern': Buffer.from('ab'.repeat(2000)),
    'short-refs': Buffer.from(Array.from({ length: 400 }, (_, i) => `k${i % 7}:`).join('')),
    random: randomBytes(4000),
  };
  const server = await startRedis();
  try {
    const c = server.client();
    for (const [k, v] of Object.entries(values)) {
      await c.set(k, v);
      const { rdbType, raw } = parseDumpPayload((await c.dumpBuffer(k))!);
      const decoded = decodeRaw(rdbType, raw);
      assert.equal(decoded.kind, 'string');
      assert.ok(decoded.kind === 'string' && decoded.value.equals(v), `${k}: decoded value differs`);
      if (k !== 'random') assert.ok(raw.length < v.length / 2, `${k}: Redis stored it compressed (${raw.length} bytes for ${v.length})`);
    }
  } finally {
    await server.stop();
  }
});
