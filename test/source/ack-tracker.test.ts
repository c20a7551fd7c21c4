import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker } from '../../provider/source/ack-tracker';

test('ACK values: nothing claimed before an ack, bounded by delivery, monotonic, GETACK answered on catch-up', () => {
  const t = new AckTracker();
  t.reset(100, -1);
  assert.equal(t.value, 0);
  t.deliver(150);
  t.deliver(170);
  assert.throws(() => t.apply(171, 'n:1'), RangeError);
  assert.throws(() => t.apply(-1, 'n:1'), RangeError);
  assert.equal(t.apply(150, 'n:1'), false);
  assert.equal(t.value, 150);
  t.getack(170);
  t.deliver(207);
  assert.equal(t.apply(160, 'n:1'), false, 'still behind the GETACK');
  assert.equal(t.apply(155, 'n:1'), false);
  assert.equal(t.value, 160, 'never goes back');
  assert.equal(t.apply(170, 'n:1'), true, 'caught up with the GETACK: answer now');
  assert.equal(t.apply(207, 'n:1'), false, 'answered once');
  t.getack(207);
  assert.equal(t.apply(207, 'n:1'), false, 'already there: the immediate answer covered it');
  t.reset(500, 500);
  assert.equal(t.value, 500);
});
