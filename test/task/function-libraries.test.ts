// The task's function-library registry: what the destination gets when several source masters load, replace,
// delete and flush the same libraries (no servers: the decisions only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionLibraries, libraryName } from '../../provider/task/function-libraries';
import { decodeCommand } from '../../provider/writer/command-text';

const code = (name: string, body: string): string => `#!lua name=${name}\nredis.register_function('${name}f', function() return '${body}' end)`;
const argv = (...a: string[]): Buffer[] => a.map((x) => Buffer.from(x));
const sent = (r: { commands: Buffer[] }): string[] => r.commands.map((c) => decodeCommand(c).slice(0, 3).map(String).join(' '));

test('library names are read from the shebang line', () => {
  assert.equal(libraryName(Buffer.from(code('mylib', 'x'))), 'mylib');
  assert.equal(libraryName(Buffer.from('#!lua engine=x name=other\nreturn')), 'other');
  assert.equal(libraryName(Buffer.from('return 1')), null);
});

test('loads from several masters: the same body once, a different one replaces it with a warning', () => {
  const f = new FunctionLibraries();
  assert.deepEqual(sent(f.load('m1', Buffer.from(code('lib', 'a')))), ['FUNCTION LOAD REPLACE']);
  assert.deepEqual(sent(f.command('m2', argv('FUNCTION', 'LOAD', code('lib', 'a')))), []);
  const changed = f.command('m3', argv('FUNCTION', 'LOAD', 'REPLACE', code('lib', 'b')));
  assert.deepEqual(sent(changed), ['FUNCTION LOAD REPLACE']);
  assert.match(changed.warning ?? '', /'lib' from m3 differs from the one on m1, m2/);
  // One master updating a library nobody else has is no disagreement.
  f.load('m1', Buffer.from(code('solo', 'a')));
  assert.equal(f.command('m1', argv('FUNCTION', 'LOAD', 'REPLACE', code('solo', 'b'))).warning, null);
});

test('a library is deleted once, when no other master has it; FLUSH keeps what other masters have', () => {
  const f = new FunctionLibraries();
  for (const m of ['m1', 'm2']) f.load(m, Buffer.from(code('shared', 'a')));
  f.load('m1', Buffer.from(code('own', 'a')));
  assert.deepEqual(sent(f.command('m1', argv('FUNCTION', 'DELETE', 'shared'))), []);
  assert.deepEqual(sent(f.command('m2', argv('FUNCTION', 'DELETE', 'shared'))), ['FUNCTION DELETE shared']);
  assert.deepEqual(sent(f.command('m3', argv('FUNCTION', 'DELETE', 'shared'))), [], 'already deleted');
  assert.deepEqual(sent(f.command('m9', argv('FUNCTION', 'DELETE', 'unknown'))), ['FUNCTION DELETE unknown'], 'from before the daemon started');
  f.load('m2', Buffer.from(code('other', 'a')));
  assert.deepEqual(sent(f.command('m1', argv('FUNCTION', 'FLUSH'))), ['FUNCTION DELETE own']);
  assert.deepEqual(sent(f.command('m2', argv('FUNCTION', 'FLUSH', 'ASYNC'))), ['FUNCTION FLUSH ASYNC']);
});

test('FUNCTION RESTORE appends as REPLACE, and the registry starts over', () => {
  const f = new FunctionLibraries();
  f.load('m1', Buffer.from(code('lib', 'a')));
  assert.deepEqual(f.command('m1', argv('FUNCTION', 'RESTORE', 'payload')).commands.map((c) => decodeCommand(c).map(String)), [['FUNCTION', 'RESTORE', 'payload', 'REPLACE']]);
  assert.deepEqual(f.command('m1', argv('FUNCTION', 'RESTORE', 'payload', 'FLUSH')).commands.map((c) => decodeCommand(c).map(String)), [['FUNCTION', 'RESTORE', 'payload', 'FLUSH']]);
  assert.deepEqual(sent(f.load('m2', Buffer.from(code('lib', 'a')))), ['FUNCTION LOAD REPLACE'], 'sent again: the restore may have replaced it');
});
