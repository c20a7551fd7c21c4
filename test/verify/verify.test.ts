import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startCluster, type RedisServer } from '../harness/redis';
import { StandaloneWriter } from '../../provider/writer/standalone-writer';
import { keyEntryCommands } from '../../provider/writer/key-commands';
import { verify } from '../../provider/verify/verify';
import type { EndpointSpec } from '../../provider/spec/types';
import { populateAllTypes, entryFromServer, within } from '../writer/fixtures';

const spec = (s: RedisServer): EndpointSpec => ({ mode: 'standalone', nodes: [s.addr], password: s.password });

/** Copies db 0 and db 2 of a to b with RESTORE, as the full sync would. */
async function copy(a: RedisServer, b: RedisServer): Promise<void> {
  const w = await StandaloneWriter.open(spec(b));
  try {
    for (const db of [0, 2]) {
      const c = a.client();
      await c.select(db);
      const keys = await c.keysBuffer('*');
      for (const k of keys) for (const cmd of keyEntryCommands(await entryFromServer(c, db, k), { sourceRdbVersion: 10, destinationRdbVersion: 10 })) w.write(db, k, cmd);
      await c.select(0);
    }
    await within(w.flush(), 10_000, 'flush');
  } finally {
    await w.close();
  }
}

async function withCopiedPair(fn: (a: RedisServer, b: RedisServer) => Promise<void>): Promise<void> {
  const a = await startRedis({ password: 'src-pw' });
  try {
    const b = await startRedis({ password: 'dst-pw' });
    try {
      await populateAllTypes(a.client());
      await a.client().select(2);
      await a.client().set('in-db2', 'two');
      await a.client().select(0);
      await copy(a, b);
      await fn(a, b);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
}

test('identical datasets are consistent, across dbs, with binary keys', () => withCopiedPair(async (a, b) => {
  const r = await verify(spec(a), spec(b));
  assert.deepEqual(r.firstMismatches, []);
  assert.equal(r.consistent, true);
  assert.equal(r.keysCompared, 17);
  assert.ok(r.durationMs >= 0);
  const only2 = await verify(spec(a), spec(b), { databases: [2] });
  assert.equal(only2.keysCompared, 1);
}));

test('every kind of difference is detected and reported', () => withCopiedPair(async (a, b) => {
  const d = b.client();
  await d.del('str:embstr'); // missing
  await d.set('extra', '1'); // extra
  await d.del('list:small'); await d.set('list:small', 'now a string'); // type
  await d.set('str:raw', 'y'.repeat(200)); // value: string
  await d.lset('list:big', 5, 'changed'); // value: list order/content
  await d.srem('set:big', 'm7'); await d.sadd('set:big', 'm7x'); // value: set
  await d.zincrby('zset:small', 1e-9, 'a'); // value: zset score
  await d.hset('hash:small', 'f1', 'other'); // value: hash
  await d.xack('stream', 'g1', '1001-1'); // value: stream group PEL
  await d.xdel('stream:empty', '0-1'); await d.xsetid('stream:empty', '0-9'); // value: stream last id
  await d.pexpire('str:ttl', 3_600_000 + 60_000); // ttl beyond tolerance
  await d.persist('hash:big'); // ttl: gone on destination
  await d.set(Buffer.from([0xff, 0x00, 0xfe, 0x0a]), 'text'); // value: binary key
  await d.select(2); await d.set('in-db2', 'deux'); await d.select(0); // value in another db
  const r = await verify(spec(a), spec(b));
  assert.equal(r.consistent, false);
  assert.equal(r.missingOnDestination, 1);
  assert.equal(r.extraOnDestination, 1);
  assert.equal(r.typeMismatches, 1);
  assert.equal(r.valueMismatches, 9);
  assert.equal(r.ttlMismatches, 2);
  const by = (key: string) => r.firstMismatches.find((m) => m.key === key);
  assert.equal(by('str:embstr')?.problem, 'missing on destination');
  assert.equal(by('extra')?.problem, 'extra on destination');
  assert.equal(by('list:small')?.problem, 'type');
  assert.match(by('zset:small')?.detail ?? '', /zset: scores differs/);
  assert.match(by('stream')?.detail ?? '', /group g1/);
  assert.match(by('stream:empty')?.detail ?? '', /last-generated-id/);
  assert.equal(by('str:ttl')?.problem, 'ttl');
  assert.equal(by('b64:/wD+Cg==')?.problem, 'value');
  assert.equal(r.firstMismatches.find((m) => m.db === 2)?.key, 'in-db2');
  const limited = await verify(spec(a), spec(b), { maxMismatches: 3 });
  assert.equal(limited.firstMismatches.length, 3);
  assert.equal(limited.valueMismatches, 9);
}));

test('TTL differences within the tolerance pass; ignoreKeys hides keys on both sides', () => withCopiedPair(async (a, b) => {
  const ttl = await a.client().pttl('str:ttl');
  await b.client().pexpire('str:ttl', ttl + 400);
  await b.client().set('ignored:extra', '1');
  await a.client().set('ignored:missing', '1');
  const r = await verify(spec(a), spec(b), { ignoreKeys: (k) => k.toString().startsWith('ignored:') });
  assert.deepEqual(r.firstMismatches, []);
  const strict = await verify(spec(a), spec(b), { ttlToleranceMs: 10, ignoreKeys: (k) => k.toString().startsWith('ignored:') });
  assert.equal(strict.ttlMismatches, 1);
}));

test('cluster endpoints: every master is scanned and keys are read from their owners', async () => {
  const a = await startRedis();
  try {
    const c = await startCluster({ masters: 3 });
    try {
      const data = Array.from({ length: 300 }, (_, i) => [`k${i}`, `v${i}`]);
      for (const [k, v] of data) await a.client().set(k, v);
      for (const [k, v] of data) await c.client().set(k, v);
      await a.client().hset('h', 'f', 'v'); await c.client().hset('h', 'f', 'v');
      const cl: EndpointSpec = { mode: 'cluster', nodes: [c.nodes[1]] };
      const ok = await verify(spec(a), cl);
      assert.deepEqual(ok.firstMismatches, []);
      assert.equal(ok.keysCompared, 301);
      const back = await verify(cl, spec(a));
      assert.equal(back.consistent, true);
      assert.equal(back.keysCompared, 301);
      await c.client().set('k17', 'changed');
      await c.client().set('only-in-cluster', '1');
      await c.client().del('k250');
      const bad = await verify(spec(a), cl);
      assert.deepEqual([bad.valueMismatches, bad.extraOnDestination, bad.missingOnDestination], [1, 1, 1]);
    } finally {
      await c.stop();
    }
  } finally {
    await a.stop();
  }
});

test('database mapping: source db 1 copied into destination db 5; extra keys are looked up in every mapped db', async () => {
  const a = await startRedis();
  try {
    const b = await startRedis();
    try {
      const s = a.client();
      const d = b.client();
      await s.select(1); await s.set('one', '1'); await s.select(2); await s.set('two', '2');
      await d.select(5); await d.set('one', '1'); await d.set('two', '2');
      const mapDb = () => 5;
      const ok = await verify(spec(a), spec(b), { databases: [1, 2], mapDb });
      assert.deepEqual(ok.firstMismatches, []);
      assert.equal(ok.keysCompared, 2);
      await d.set('stray', 'x');
      const bad = await verify(spec(a), spec(b), { databases: [1, 2], mapDb });
      assert.deepEqual(bad.firstMismatches.map((m) => [m.db, m.key, m.problem]), [[5, 'stray', 'extra on destination']]);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});

test('stream entries-read: unknown on one side passes (as a native replica leaves it), known and different is reported', async () => {
  const a = await startRedis();
  try {
    const b = await startRedis();
    try {
      for (const s of [a, b]) {
        const c = s.client();
        for (let i = 1; i <= 4; i++) await c.xadd('xs', `${i}-1`, 'f', `v${i}`);
        await c.xgroup('CREATE', 'xs', 'g', '0');
      }
      await a.client().xgroup('SETID', 'xs', 'g', '0', 'ENTRIESREAD', 0);
      // An explicit id without ENTRIESREAD leaves entries-read unknown (nil), as replicated XREADGROUP does.
      await b.client().xgroup('SETID', 'xs', 'g', '0');
      const [group] = (await b.client().call('XINFO', 'GROUPS', 'xs')) as unknown[][];
      assert.equal(group[group.indexOf('entries-read') + 1], null);
      const unknown = await verify(spec(a), spec(b));
      assert.deepEqual(unknown.firstMismatches, []);
      await b.client().xgroup('SETID', 'xs', 'g', '0', 'ENTRIESREAD', 2);
      const differ = await verify(spec(a), spec(b));
      assert.match(differ.firstMismatches[0]?.detail ?? '', /group g (entries-read|lag) differs/);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});
