// What a cluster destination gets for a multi-key command from a standalone source: one write routed by its key
// when the keys share a slot, the daemon's own CROSSSLOT (command, keys, offset) when they do not and the command
// cannot be split. SORT ... STORE and GEORADIUS ... STORE are such commands (their targets hide behind options).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeForCluster, type ClusterRoute } from '../../provider/cluster/cross-slot';
import { encodeCommand } from '../../provider/resp/encode';

function route(...args: string[]): ClusterRoute {
  return routeForCluster(args.map((a) => Buffer.from(a)), encodeCommand(args), 42);
}

test('SORT ... STORE and GEORADIUS ... STORE across slots are refused with CROSSSLOT naming the command, keys and offset', () => {
  const sort = route('SORT', 'list', 'BY', 'nosort', 'LIMIT', '0', '2', 'STORE', 'elsewhere');
  assert.equal(sort.kind, 'crossslot');
  assert.match(sort.kind === 'crossslot' ? sort.message : '', /^CROSSSLOT: SORT at offset 42 writes keys in different slots \("list", "elsewhere"\)/);
  const geo = route('GEORADIUS', 'places', '15', '37', '200', 'km', 'STOREDIST', 'near');
  assert.match(geo.kind === 'crossslot' ? geo.message : '', /^CROSSSLOT: GEORADIUS at offset 42 .*\("places", "near"\)/);
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
