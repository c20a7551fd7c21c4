// `pulumi import` calls the provider's read with an id and no inputs: the task's inputs (passwords included) are not
// kept on the servers, so the import fails, saying what to do instead, rather than with a TypeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { read } from '../../provider/pulumi/provider';

test('read without inputs (pulumi import) fails with a message that says what to do', async () => {
  await assert.rejects(read('orders-1a2b3c4d', undefined), (err: Error) => {
    assert.match(err.message, /RedisSyncTask "orders-1a2b3c4d" cannot be imported/);
    assert.match(err.message, /Declare the task in the program/);
    assert.doesNotMatch(err.message, /Cannot read properties/);
    return true;
  });
});
