// COPY's DB option: found only after the two keys (a key may be named "db"), rewritten through the mapping,
// filtered by the synchronized databases, and refused when it carries a key from an unsynchronized db into a
// synchronized one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFilter, type FilterOptions, type FilterResult } from '../../provider/filter/command-filter';
import { encodeCommand } from '../../provider/resp/encode';

function filter(opts: Partial<FilterOptions> = {}): CommandFilter {
  return new CommandFilter({ databases: null, mapDb: (db) => db, heartbeatKey: null, forwardPublish: false, ...opts });
}

function apply(f: CommandFilter, ...args: string[]): FilterResult {
  const raw = encodeCommand(args);
  return f.apply({ argv: args.map((a) => Buffer.from(a)), raw, offset: raw.length });
}

const forwarded = (r: FilterResult): string[] => (r.action === 'forward' ? r.writes.map((w) => `${w.db}:${w.command.toString('latin1')}`) : [r.action]);

test('COPY without a DB option is forwarded as is, also for keys named "db"', () => {
  const f = filter({ mapDb: (db) => db + 1 });
  for (const args of [['COPY', 'a', 'b'], ['COPY', 'db', 'x'], ['copy', 'x', 'db'], ['COPY', 'db', 'db', 'REPLACE']]) {
    assert.deepEqual(forwarded(apply(f, ...args)), [`1:${encodeCommand(args).toString('latin1')}`], args.join(' '));
  }
});

test('COPY ... DB n is rewritten through the mapping and dropped when n is not synchronized', () => {
  const f = filter({ databases: [0, 3], mapDb: (db) => (db === 3 ? 1 : db) });
  assert.deepEqual(forwarded(apply(f, 'COPY', 'a', 'b', 'DB', '3', 'REPLACE')), [`0:${encodeCommand(['COPY', 'a', 'b', 'DB', '1', 'REPLACE']).toString('latin1')}`]);
  assert.deepEqual(forwarded(apply(f, 'COPY', 'db', 'b', 'db', '3')), [`0:${encodeCommand(['COPY', 'db', 'b', 'db', '1']).toString('latin1')}`]);
  assert.deepEqual(apply(f, 'COPY', 'a', 'b', 'DB', '5'), { action: 'skip', reason: 'db-filtered' });
});

test('COPY from an unsynchronized db into a synchronized one is refused; a key named "db" is not the option', () => {
  const f = filter({ databases: [0] });
  apply(f, 'SELECT', '2');
  const r = apply(f, 'COPY', 'a', 'b', 'DB', '0');
  assert.equal(r.action, 'unsupported');
  assert.match(r.action === 'unsupported' ? r.message : '', /COPY of key "a" from unsynchronized db 2 into synchronized db 0/);
  assert.deepEqual(apply(f, 'COPY', 'db', '0'), { action: 'skip', reason: 'db-filtered' });
});
