import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyParser, type ReplyOutcome } from '../../provider/writer/reply-parser';
import { printableCommand, printableBytes } from '../../provider/writer/command-text';
import { encodeCommand } from '../../provider/resp/encode';
import { scriptCommandName } from '../../provider/writer/script-cache';

const replies = Buffer.from('+OK\r\n-ERR unknown command\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n*3\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n-OOM full\r\n%1\r\n+k\r\n+v\r\n');
const expected: ReplyOutcome[] = [null, 'ERR unknown command', null, null, null, null, 'OOM full', null];

test('replies are framed the same whichever way the bytes are split', () => {
  for (const step of [1, 2, 3, 7, replies.length]) {
    const p = new ReplyParser();
    const got: ReplyOutcome[] = [];
    for (let i = 0; i < replies.length; i += step) p.feed(replies.subarray(i, i + step), (o) => got.push(o));
    assert.deepEqual(got, expected, `split every ${step} bytes`);
  }
});

test('an error element of an EXEC reply is found in its own reply only, not in the next one of the chunk', () => {
  // Clean, then a WRONGTYPE second of three, then a RESP3 blob error, then a '-' inside a value (not an element), then
  // a reply after it: every byte framed.
  const chunk = Buffer.from('*2\r\n+OK\r\n:1\r\n*3\r\n+OK\r\n-WRONGTYPE bad\r\n+OK\r\n*1\r\n!7\r\nERR bad\r\n*1\r\n$5\r\na\r\n-b\r\n:7\r\n');
  const got: ReplyOutcome[] = [];
  new ReplyParser().feed(chunk, (o) => got.push(o));
  assert.deepEqual(got, [null, 'WRONGTYPE bad (in EXEC, command 2 of 3)', 'ERR bad (in EXEC, command 1 of 1)', null, null]);
});

test('printable commands are truncated and never show AUTH arguments', () => {
  assert.equal(printableCommand(encodeCommand(['AUTH', 'user', 'pw'])), 'AUTH <redacted>');
  assert.equal(printableCommand(encodeCommand(['auth', 'pw'])), 'AUTH <redacted>');
  const long = printableCommand(encodeCommand(['SET', 'k', 'v'.repeat(1000)]));
  assert.ok(long.length < 200 && long.includes('(1000 bytes)'));
  assert.equal(printableBytes(Buffer.from([0xff, 0x00])), 'b64:/wA=');
  assert.equal(printableBytes(Buffer.from('clé')), 'clé');
});

test('only EVAL*, SCRIPT commands are picked out for the script cache', () => {
  const pick = (...args: string[]) => scriptCommandName(encodeCommand(args));
  assert.equal(pick('evalsha', 'abc', '0'), 'EVALSHA');
  assert.equal(pick('EVAL', 'return 1', '0'), 'EVAL');
  assert.equal(pick('script', 'flush'), 'SCRIPT');
  assert.equal(pick('EVALSHA_RO', 'x', '0'), 'EVALSHA_RO');
  for (const other of ['SET', 'SADD', 'SELECT', 'SINTERSTORE', 'EXPIRE', 'EXEC', 'SUBSCRIBE']) assert.equal(pick(other, 'k'), null, other);
  assert.equal(pick('x'.repeat(12), 'k'), null);
  // Two-digit argument counts: the header is read by hand.
  assert.equal(pick('EVALSHA', 'abc', '10', ...Array.from({ length: 10 }, (_, i) => `k${i}`)), 'EVALSHA');
  assert.equal(pick('RESTORE', ...Array.from({ length: 11 }, (_, i) => `a${i}`)), null);
});
