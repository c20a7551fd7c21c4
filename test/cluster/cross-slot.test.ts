// What a cluster destination gets for a multi-key command from a standalone source: one write routed by its key
// when the keys share a slot; across slots, a split where that keeps the meaning, the command run on copies of its
// keys in one slot (colocate.ts) for store commands and moves, and the daemon's own CROSSSLOT (command, keys, offset)
// for what is left (a script across slots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { routeForCluster, type ClusterRoute } from '../../provider/cluster/cross-slot';
import { colocatePlan } from '../../provider/cluster/colocate';
import { encodeCommand } from '../../provider/resp/encode';
import { decodeCommand } from '../../provider/writer/command-text';

function route(...args: string[]): ClusterRoute {
  return routeForCluster(args.map((a) => Buffer.from(a)), encodeCommand(args), 42);
}

test('store commands, moves, MSETNX and COPY across slots run on copies in one slot; a script across slots is refused with CROSSSLOT', () => {
  for (const args of [['SORT', 'list', 'BY', 'nosort', 'LIMIT', '0', '2', 'STORE', 'elsewhere'], ['GEORADIUS', 'places', '15', '37', '200', 'km', 'STOREDIST', 'near'],
    ['SUNIONSTORE', 'd', 'a', 'b'], ['ZINTERSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'], ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'], ['BITOP', 'AND', 'd', 'a', 'b'],
    ['PFMERGE', 'd', 'a'], ['MSETNX', 'a', '1', 'b', '2'], ['COPY', 'a', 'b', 'REPLACE'], ['RPOPLPUSH', 'a', 'b']]) {
    assert.equal(route(...args).kind, 'colocate', args.join(' '));
  }
  const script = route('EVAL', 'return 1', '2', 'a', 'b');
  assert.match(script.kind === 'crossslot' ? script.message : '', /^CROSSSLOT: EVAL at offset 42 writes keys in different slots \("a", "b"\)/);
});

test('a colocate plan: every key gets a twin in one slot, the command names the twins, only what it writes is copied back', () => {
  const argv = ['ZUNIONSTORE', 'dst', '3', 'a', 'b', 'a', 'AGGREGATE', 'MAX'].map((a) => Buffer.from(a));
  const plan = colocatePlan(argv, 'task-1', 7);
  assert.deepEqual(plan.copies.map((c) => c.key.toString()), ['dst', 'a', 'b']);
  assert.equal(new Set(plan.copies.map((c) => calculateSlot(c.temp))).size, 1);
  assert.ok(plan.copies.every((c) => c.temp.toString().startsWith('redis-sync:')));
  const cmd = decodeCommand(plan.command).map((b) => b.toString());
  assert.deepEqual(cmd, ['ZUNIONSTORE', plan.copies[0].temp.toString(), '3', plan.copies[1].temp.toString(), plan.copies[2].temp.toString(), plan.copies[1].temp.toString(), 'AGGREGATE', 'MAX']);
  assert.deepEqual(plan.written.map((w) => w.key.toString()), ['dst']);
  assert.deepEqual(colocatePlan(['LMOVE', 'x', 'y', 'LEFT', 'LEFT'].map((a) => Buffer.from(a)), 't', 1).written.map((w) => w.key.toString()), ['x', 'y']);
});

test('SORT ... STORE within one slot, and SORT without STORE, go as they are, routed by the sorted key', () => {
  for (const args of [['SORT', '{t}list', 'STORE', '{t}sorted'], ['SORT', 'list', 'ALPHA']]) {
    const r = route(...args);
    assert.equal(r.kind, 'writes', args.join(' '));
    if (r.kind === 'writes') {
      assert.equal(r.writes.length, 1);
      assert.equal(r.writes[0].key?.toString(), args[1]);
      assert.ok(r.writes[0].command.equals(encodeCommand(args)));
    }
  }
});
