// The destination dialect on its own: what each release is read as, and what a stream command becomes for it.
// (Against real servers of each release: test/compat/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerInfo } from '../../provider/writer/dialect/server-info';
import { dialectFor } from '../../provider/writer/dialect/dialect';
import { translateCommand, isRelativeExpiry } from '../../provider/writer/dialect/translate';
import type { Rewrite } from '../../provider/writer/dialect/rewrite';
import { buildDumpPayload } from '../../provider/rdb/dump-payload';
import { encodeCommand } from '../../provider/resp/encode';
import { CommandFilter } from '../../provider/filter/command-filter';
import { dialectWrites } from '../../provider/task/dialect-writes';

const redis = (v: string) => dialectFor({ flavor: 'redis', version: v, redisVersion: v });
const argv = (...a: string[]): Buffer[] => a.map((x) => Buffer.from(x));
const text = (r: Rewrite | null): string[] | string | null =>
  r === null ? null : r.kind === 'unsupported' ? r.what : r.commands.map((c) => c.map(String).join(' '));

test('Valkey is read from valkey_version and server_name, not its redis_version', () => {
  const v = parseServerInfo('# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n');
  assert.deepEqual(v, { flavor: 'valkey', version: '8.0.1', redisVersion: '7.2.4' });
  assert.deepEqual(parseServerInfo('redis_version:7.0.15\r\n'), { flavor: 'redis', version: '7.0.15', redisVersion: '7.0.15' });
  const d = dialectFor(v);
  assert.equal(d.rdbVersion, 11);
  assert.equal(d.fieldTtls, false);
  assert.equal(d.functions, true);
});

test('relative expiries become absolute with the source time', () => {
  const now = 1_700_000_000_000;
  for (const v of ['2.8.24', '7.0.15']) {
    assert.deepEqual(text(translateCommand(argv('EXPIRE', 'k', '10'), redis(v), now)), [`PEXPIREAT k ${now + 10_000}`]);
    assert.deepEqual(text(translateCommand(argv('pexpire', 'k', '250'), redis(v), now)), [`PEXPIREAT k ${now + 250}`]);
  }
  assert.deepEqual(text(translateCommand(argv('SETEX', 'k', '5', 'v'), redis('6.0.20'), now)), ['SET k v', `PEXPIREAT k ${now + 5000}`]);
  assert.deepEqual(text(translateCommand(argv('SET', 'k', 'v', 'EX', '5'), redis('7.0.15'), now)), [`SET k v PXAT ${now + 5000}`]);
  assert.equal(isRelativeExpiry(argv('SET', 'k', 'v', 'PX', '5')), true);
  assert.equal(isRelativeExpiry(argv('SET', 'k', 'v', 'PXAT', '5')), false);
});

test('each release gets what it has', () => {
  const now = 1_700_000_000_000;
  // 7.0+ sources propagate SET EX as SET PXAT; before 6.2 that is SET + PEXPIREAT.
  assert.deepEqual(text(translateCommand(argv('SET', 'k', 'v', 'PXAT', '123'), redis('6.0.20'), now)), ['SET k v', 'PEXPIREAT k 123']);
  assert.equal(translateCommand(argv('SET', 'k', 'v', 'PXAT', '123'), redis('6.2.14'), now), null);
  // INCRBYFLOAT is propagated as SET ... KEEPTTL: a script before 6.0.
  assert.match(String(text(translateCommand(argv('SET', 'k', '1.5', 'KEEPTTL'), redis('4.0.14'), now))), /^EVAL .*PTTL.* 1 k 1\.5 $/);
  assert.equal(translateCommand(argv('SET', 'k', '1.5', 'KEEPTTL'), redis('6.0.20'), now), null);
  assert.deepEqual(text(translateCommand(argv('UNLINK', 'a', 'b'), redis('2.8.24'), now)), ['DEL a b']);
  assert.equal(translateCommand(argv('UNLINK', 'a'), redis('4.0.14'), now), null);
  assert.deepEqual(text(translateCommand(argv('HSET', 'h', 'a', '1', 'b', '2'), redis('2.8.24'), now)), ['HMSET h a 1 b 2']);
  assert.equal(translateCommand(argv('HSET', 'h', 'a', '1'), redis('2.8.24'), now), null);
  assert.deepEqual(text(translateCommand(argv('XGROUP', 'SETID', 's', 'g', '5-0', 'ENTRIESREAD', '3'), redis('6.0.20'), now)), ['XGROUP SETID s g 5-0']);
  assert.deepEqual(text(translateCommand(argv('XSETID', 's', '5-0', 'ENTRIESADDED', '9', 'MAXDELETEDID', '2-0'), redis('6.0.20'), now)), ['XSETID s 5-0']);
  assert.equal(text(translateCommand(argv('XADD', 's', '1-1', 'f', 'v'), redis('4.0.14'), now)), 'XADD: streams need Redis 5.0 or later');
  assert.equal(text(translateCommand(argv('HPEXPIREAT', 'h', '1', 'FIELDS', '1', 'a'), dialectFor(parseServerInfo('redis_version:7.2.4\r\nvalkey_version:8.0.1\r\n')), now)), 'HPEXPIREAT: hash field TTLs need Redis 7.4 or later');
  assert.equal(text(translateCommand(argv('FCALL', 'f', '0'), redis('6.2.14'), now)), 'FCALL: functions need Redis 7.0 or later');
});

test('RESTORE: DEL first before 3.0, a relative TTL before 5.0', () => {
  // A DUMP payload of the string "v" in RDB 6: type 0, length 1, "v", version 6, CRC-64.
  const payload = buildDumpPayload(0, Buffer.from([1, 0x76]), 6);
  const far = Date.now() + 600_000;
  const r = translateCommand([Buffer.from('RESTORE'), Buffer.from('k'), Buffer.from(String(far)), payload, Buffer.from('REPLACE'), Buffer.from('ABSTTL')], redis('2.8.24'), Date.now());
  assert.ok(r && r.kind === 'commands');
  assert.equal(String(r.commands[0].join(' ')), 'DEL k');
  const restore = r.commands[1].map((a) => (Buffer.isBuffer(a) ? a : String(a)));
  assert.equal(restore.length, 4, 'no REPLACE, no ABSTTL');
  assert.ok(Math.abs(Number(restore[2]) - 600_000) < 5_000, `relative TTL ${restore[2]}`);
  assert.equal(translateCommand([Buffer.from('RESTORE'), Buffer.from('k'), Buffer.from('0'), payload, Buffer.from('REPLACE')], redis('7.0.15'), Date.now()), null);
});

test('XADD/XTRIM trimming options of 6.2 for older destinations', () => {
  const d = redis('6.0.20');
  assert.deepEqual(text(translateCommand(argv('XADD', 's', 'NOMKSTREAM', 'MAXLEN', '=', '5', '1-1', 'f', 'v'), d, 0)), ['XADD s MAXLEN 5 1-1 f v']);
  const minid = text(translateCommand(argv('XADD', 's', 'MINID', '=', '7', 'LIMIT', '100', '9-1', 'f', 'v'), d, 0)) as string[];
  assert.equal(minid[0], 'XADD s 9-1 f v');
  assert.match(minid[1], /^EVAL .*XDEL.* 1 s 7-0$/);
  assert.match(String(text(translateCommand(argv('XTRIM', 's', 'MINID', '3-2'), d, 0))), /^EVAL .* 1 s 3-2$/);
  assert.equal(translateCommand(argv('XADD', 's', 'MAXLEN', '~', '5', '*', 'f', 'v'), d, 0), null);
  assert.equal(translateCommand(argv('XADD', 's', 'MINID', '=', '7', '9-1', 'f', 'v'), redis('6.2.14'), 0), null);
});

test('a write the filter rewrote is translated too (RESTORE given REPLACE, into 2.8)', () => {
  const payload = buildDumpPayload(0, Buffer.from([1, 0x76]), 6);
  const argv = [Buffer.from('RESTORE'), Buffer.from('k'), Buffer.from('0'), payload];
  const raw = encodeCommand(argv);
  const filter = new CommandFilter({ databases: null, mapDb: (db) => db, heartbeatKey: null, forwardPublish: false });
  filter.apply({ argv: [Buffer.from('SELECT'), Buffer.from('0')], raw: encodeCommand(['SELECT', '0']), offset: 1 });
  const r = filter.apply({ argv, raw, offset: 2 });
  assert.equal(r.action, 'forward');
  if (r.action !== 'forward') return;
  const t = dialectWrites({ argv, raw, offset: 2 }, r.writes, redis('2.8.24'), Date.now());
  assert.equal(t.kind, 'writes');
  if (t.kind !== 'writes') return;
  assert.deepEqual(t.writes.map((w) => w.argv!.slice(0, 3).map(String).join(' ')), ['DEL k', 'RESTORE k 0']);
  assert.equal(t.writes[1].argv!.length, 4, 'no REPLACE for 2.8');
});
