import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { verifyCommand } from '../../provider/cli/verify-command';
import type { TaskSpec } from '../../provider/spec/types';

async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array) => { chunks.push(String(s)); return true; }) as typeof process.stdout.write;
  try {
    const code = await fn();
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = original;
  }
}

test('verify command: exit 0 when consistent, 1 with a summary otherwise, JSON on request, never a password', async () => {
  const a = await startRedis({ password: 'source-secret' });
  try {
    const b = await startRedis({ password: 'dest-secret' });
    try {
      await a.client().set('k', 'v');
      await b.client().set('k', 'v');
      const spec: TaskSpec = {
        name: 't',
        source: { mode: 'standalone', nodes: [a.addr], password: 'source-secret' },
        destination: { mode: 'standalone', nodes: [b.addr], password: 'dest-secret' },
      };
      const ok = await captured(() => verifyCommand(spec, { json: false }));
      assert.equal(ok.code, 0);
      assert.match(ok.out, /CONSISTENT: 1 keys compared/);
      await b.client().set('k', 'other');
      const bad = await captured(() => verifyCommand(spec, { json: false }));
      assert.equal(bad.code, 1);
      assert.match(bad.out, /NOT CONSISTENT/);
      assert.match(bad.out, /value mismatches: +1/);
      assert.match(bad.out, /db0 "k": value/);
      const json = await captured(() => verifyCommand(spec, { json: true }));
      assert.equal(json.code, 1);
      assert.equal(JSON.parse(json.out).valueMismatches, 1);
      for (const out of [ok.out, bad.out, json.out]) assert.ok(!/secret/.test(out));
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});

test('verify command ignores the heartbeat key and follows databaseMapping; "user:password" passwords work', async () => {
  const a = await startRedis({ password: 'pw-a' });
  try {
    const b = await startRedis({ password: 'pw-b' });
    try {
      await a.client().select(3);
      await a.client().set('k', 'v');
      await a.client().set('redis-sync:heartbeat:t2', String(Date.now()));
      await b.client().set('k', 'v');
      const spec: TaskSpec = {
        name: 't2',
        source: { mode: 'standalone', nodes: [a.addr], password: 'default:pw-a' },
        destination: { mode: 'standalone', nodes: [b.addr], password: 'pw-b' },
        databases: [3],
        databaseMapping: { '3': 0 },
      };
      const r = await captured(() => verifyCommand(spec, { json: true }));
      assert.equal(r.code, 0, r.out);
      assert.equal(JSON.parse(r.out).keysCompared, 1);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});

test('verify --repair copies the differing keys again (values, TTLs, extra keys deleted) and says what it repaired', async () => {
  const a = await startRedis();
  try {
    const b = await startRedis();
    try {
      await a.client().set('same', '1');
      await b.client().set('same', '1');
      await a.client().set('changed', 'source value', 'PX', 600_000);
      await b.client().set('changed', 'other');
      await a.client().rpush('missing', 'x', 'y');
      await b.client().set('extra', 'z');
      const spec: TaskSpec = { name: 't3', source: { mode: 'standalone', nodes: [a.addr] }, destination: { mode: 'standalone', nodes: [b.addr] } };
      const r = await captured(() => verifyCommand(spec, { json: false, repair: true }));
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /source: +string 12 bytes "source value" PTTL \d+/);
      assert.match(r.out, /repair: 3 keys repaired/);
      assert.match(r.out, /db0 "extra": deleted/);
      assert.equal(await b.client().get('changed'), 'source value');
      assert.ok((await b.client().pttl('changed')) > 590_000);
      assert.deepEqual(await b.client().lrange('missing', 0, -1), ['x', 'y']);
      assert.equal(await b.client().exists('extra'), 0);
      const again = await captured(() => verifyCommand(spec, { json: false }));
      assert.equal(again.code, 0, again.out);
      assert.match(again.out, /CONSISTENT: 3 keys compared/);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
});
