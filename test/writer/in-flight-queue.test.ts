// The in-flight ring: replies match commands in send order across wrap-around and growth, bytes add up, and a
// confirmed command is no longer referenced by the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlightQueue, NO_OFFSET } from '../../provider/writer/in-flight-queue';

test('commands come back in send order through wrap-around and growth, with their offsets and bytes', () => {
  const q = new InFlightQueue();
  const sent: Array<[Buffer, number]> = [];
  let next = 0;
  let expected = 0;
  // Fill and drain at different rates so the head wraps many times and the ring grows with the head mid-ring.
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 300 + round * 20; i++) {
      const cmd = Buffer.from(`cmd-${next}`);
      const offset = next % 3 === 0 ? NO_OFFSET : next;
      q.push(cmd, offset);
      sent.push([cmd, offset]);
      next++;
    }
    for (let i = 0; i < 250 + round * 10 && q.length > 0; i++) {
      const [cmd, want] = sent[expected++];
      assert.equal(q.headCommand, cmd);
      assert.equal(q.shift(), want);
    }
    const bytes = sent.slice(expected).reduce((n, [c]) => n + c.length, 0);
    assert.equal(q.length, sent.length - expected);
    assert.equal(q.bytes, bytes);
  }
  while (q.length > 0) assert.equal(q.shift(), sent[expected++][1]);
  assert.equal(q.bytes, 0);
  assert.throws(() => q.shift(), /no command in flight/);
});
