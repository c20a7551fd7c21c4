// keyFilter and keyRenames in the stream: Redis's glob, include/exclude per database, renames, and every multi-key
// command that straddles the filter either split exactly or refused with its name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch } from '../../provider/filter/glob';
import { KeyFilter } from '../../provider/filter/key-filter';
import { CommandFilter, type FilterResult } from '../../provider/filter/command-filter';
import { encodeCommand } from '../../provider/resp/encode';
import { staticProblems } from '../../provider/spec/resolve';
import type { TaskSpec } from '../../provider/spec/types';

const B = (s: string): Buffer => Buffer.from(s);

test('glob: Redis stringmatchlen semantics, byte by byte', () => {
  const yes: Array<[string, string]> = [['*', ''], ['a*', 'abc'], ['h?llo', 'hello'], ['h[ae]llo', 'hallo'], ['h[^e]llo', 'hallo'],
    ['h[a-b]llo', 'hbllo'], ['h[b-a]llo', 'hallo'], ['a\\*b', 'a*b'], ['*:tmp', 'x:y:tmp'], ['a*b*c', 'aXbYc'], ['[\\]]', ']']];
  const no: Array<[string, string]> = [['a*', 'bac'], ['h?llo', 'hllo'], ['h[^e]llo', 'hello'], ['a\\*b', 'aXb'], ['*:tmp', 'x:tmpy'], ['abc', 'ab']];
  for (const [p, s] of yes) assert.ok(globMatch(B(p), B(s)), `${p} ~ ${s}`);
  for (const [p, s] of no) assert.ok(!globMatch(B(p), B(s)), `${p} !~ ${s}`);
  assert.ok(globMatch(B('k*'), Buffer.from([0x6b, 0xff, 0x00])), 'binary keys');
});

test('include/exclude per database, renames, and the sources of a destination name', () => {
  const f = new KeyFilter({
    include: [{ prefix: 'in:' }, { glob: 'db1-*', databases: [1] }],
    exclude: [{ regex: ':tmp$' }, { prefix: 'in:secret', databases: [0] }],
  }, [{ from: 'in:old:', to: 'in:new:' }, { from: 'db1-', to: '', databases: [1] }]);
  assert.ok(f.wants(0, B('in:a')));
  assert.ok(!f.wants(0, B('out:a')));
  assert.ok(!f.wants(0, B('in:a:tmp')));
  assert.ok(!f.wants(0, B('in:secret1')));
  assert.ok(f.wants(2, B('in:secret1')), 'the exclude rule applies to db 0 only');
  assert.ok(!f.wants(0, B('db1-x')), 'the db1 rule does not include in db 0');
  assert.ok(f.wants(1, B('db1-x')));
  assert.equal(f.rename(0, B('in:old:1')).toString(), 'in:new:1');
  assert.equal(f.rename(1, B('db1-x')).toString(), 'x');
  assert.equal(f.rename(0, B('db1-x')).toString(), 'db1-x');
  const k = B('in:a');
  assert.equal(f.rename(0, k), k, 'an unrenamed key is the same Buffer');
  // Both would be written under this name (a source key named so, and the renamed one).
  assert.deepEqual(f.sourcesOf(0, B('in:new:1')).map(String), ['in:new:1', 'in:old:1']);
  assert.deepEqual(f.sourcesOf(0, B('in:old:1')).map(String), [], 'in:old:1 is always renamed: nothing is written under its name');
  assert.deepEqual(f.sourcesOf(0, B('out:z')).map(String), []);
  assert.deepEqual(f.sourcesOf(1, B('x')).map(String), ['db1-x']);
  // Per database: no include rule applies to db 3 but the one without databases.
  const g = new KeyFilter({ include: [{ prefix: 'a', databases: [1] }] }, undefined);
  assert.ok(g.wants(0, B('zzz')), 'no include rule applies to db 0: every key');
  assert.ok(!g.wants(1, B('zzz')));
});

const filter = new KeyFilter({ include: [{ prefix: 'in:' }] }, [{ from: 'in:r:', to: 'in:R:' }]);

function run(...argv: string[]): string {
  const f = new CommandFilter({ databases: null, mapDb: (db) => db, heartbeatKey: B('redis-sync:heartbeat:t'), forwardPublish: false, keys: filter });
  const raw = encodeCommand(argv);
  const r: FilterResult = f.apply({ argv: argv.map(B), raw, offset: raw.length });
  if (r.action === 'forward') {
    const w = r.writes[0];
    return w.command === raw ? 'same' : w.argv!.map(String).join(' ');
  }
  return r.action === 'unsupported' ? `refused: ${r.message}` : r.action === 'skip' ? `skip ${r.reason}` : r.action;
}

test('stream: single-key commands are kept, renamed or dropped; the heartbeat and keyless commands pass', () => {
  assert.equal(run('SET', 'in:a', '1'), 'same');
  assert.equal(run('SET', 'out:a', '1'), 'skip key-filtered');
  assert.equal(run('HSET', 'in:r:h', 'f', 'v'), 'HSET in:R:h f v');
  assert.equal(run('SET', 'redis-sync:heartbeat:t', '123'), 'heartbeat');
  assert.equal(run('FLUSHDB'), 'same');
  assert.equal(run('MULTI'), 'multi');
});

test('stream: multi-key commands across the boundary are split where exact', () => {
  assert.equal(run('DEL', 'in:a', 'out:b', 'in:r:c'), 'DEL in:a in:R:c');
  assert.equal(run('UNLINK', 'out:a', 'out:b'), 'skip key-filtered');
  assert.equal(run('MSET', 'in:a', '1', 'out:b', '2', 'in:r:c', '3'), 'MSET in:a 1 in:R:c 3');
  assert.equal(run('MSETNX', 'out:b', '2', 'in:a', '1'), 'MSET in:a 1');
  assert.equal(run('MSET', 'in:a', '1', 'in:b', '2'), 'same');
  assert.equal(run('SUNIONSTORE', 'out:d', 'in:a', 'in:b'), 'skip key-filtered', 'only the written key changes');
  assert.equal(run('SUNIONSTORE', 'in:d', 'in:a', 'in:r:b'), 'SUNIONSTORE in:d in:a in:R:b');
  assert.equal(run('ZUNIONSTORE', 'out:d', '2', 'in:a', 'in:b'), 'skip key-filtered');
  assert.equal(run('BITOP', 'AND', 'out:d', 'in:a'), 'skip key-filtered');
  assert.equal(run('RENAME', 'in:a', 'out:b'), 'DEL in:a');
  assert.equal(run('RENAME', 'in:r:a', 'in:b'), 'RENAME in:R:a in:b');
  assert.equal(run('SMOVE', 'in:s', 'out:s', 'm'), 'SREM in:s m');
  assert.equal(run('LMOVE', 'in:l', 'out:l', 'LEFT', 'RIGHT'), 'LPOP in:l');
  assert.equal(run('LMOVE', 'in:l', 'out:l', 'right', 'RIGHT'), 'RPOP in:l');
  assert.equal(run('RPOPLPUSH', 'in:l', 'out:l'), 'RPOP in:l');
  assert.equal(run('COPY', 'in:a', 'out:b'), 'skip key-filtered');
  assert.equal(run('SORT', 'in:l', 'STORE', 'out:d'), 'skip key-filtered');
});

test('stream: what cannot be applied exactly is refused, naming the command', () => {
  for (const argv of [['SUNIONSTORE', 'in:d', 'out:a'], ['RENAME', 'out:a', 'in:b'], ['COPY', 'out:a', 'in:b'], ['SMOVE', 'out:s', 'in:s', 'm'],
    ['EVAL', 'return 1', '2', 'in:a', 'out:b'], ['EVAL', 'return 1', '1', 'in:r:a'], ['SORT', 'out:l', 'STORE', 'in:d']]) {
    const r = run(...argv);
    assert.match(r, new RegExp(`^refused: ${argv[0]} `), argv.join(' '));
    assert.match(r, /keyFilter\/keyRenames/);
  }
  assert.equal(run('EVAL', 'return 1', '1', 'in:a'), 'same');
  assert.equal(run('EVAL', 'return 1', '1', 'out:a'), 'skip key-filtered');
});

test('stream: MOVE between databases with their own rules', () => {
  const f = new CommandFilter({ databases: null, mapDb: (db) => db, heartbeatKey: null, forwardPublish: false,
    keys: new KeyFilter({ include: [{ prefix: 'in:' }], exclude: [{ prefix: 'in:x', databases: [1] }] }, undefined) });
  const apply = (...argv: string[]): FilterResult => {
    const raw = encodeCommand(argv);
    return f.apply({ argv: argv.map(B), raw, offset: raw.length });
  };
  const r = apply('MOVE', 'in:xa', '1');
  assert.ok(r.action === 'forward' && r.writes[0].argv!.map(String).join(' ') === 'DEL in:xa', 'out of the filter in db 1: deleted');
  assert.equal(apply('MOVE', 'in:a', '1').action, 'forward');
  apply('SELECT', '1');
  assert.equal(apply('MOVE', 'in:xa', '0').action, 'unsupported');
});

test('spec: a pattern names exactly one of prefix, glob, regex; a regex compiles', () => {
  const spec: TaskSpec = { name: 't', source: { mode: 'standalone', nodes: ['127.0.0.1:1'] }, destination: { mode: 'standalone', nodes: ['127.0.0.1:2'] },
    keyFilter: { include: [{ prefix: 'a', glob: 'b*' }, {}], exclude: [{ regex: '(' }] } };
  const problems = staticProblems(spec).map((p) => `${p.path}: ${p.message}`);
  assert.ok(problems.some((p) => p.startsWith('keyFilter.include[0]: needs exactly one') && p.includes('prefix, glob')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('keyFilter.include[1]: needs exactly one')));
  assert.ok(problems.some((p) => p.startsWith('keyFilter.exclude[0].regex: is not a valid regular expression')));
});
