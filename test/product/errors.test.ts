// The errors of docs/troubleshooting.md, provoked for real: what the user sees in run's output, status and logs says
// what happened, where, and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { startDaemon } from '../harness/daemon';
import { cli, fillKeys, taskSpec } from './helpers';

test('auth and unreachable servers fail the prechecks with what to fix', async () => {
  const src = await startRedis();
  const dst = await startRedis({ password: 'right' });
  try {
    const wrong = taskSpec('authfail', src, dst);
    wrong.destination.password = 'wrong';
    const d = startDaemon(wrong);
    assert.equal(await d.exited(), 1, d.output());
    assert.match(d.output(), /prechecks failed for task "authfail"/);
    assert.match(d.output(), new RegExp(`destination-connectivity\\s+authentication failed on ${dst.addr.replace(/\./g, '\\.')}: check the username and password`));
    assert.ok(!d.output().includes('wrong'), 'the password is not printed');
    const gone = taskSpec('unreachable', src, dst);
    gone.destination = { mode: 'standalone', nodes: ['127.0.0.1:1'] };
    const u = startDaemon(gone);
    assert.equal(await u.exited(), 1, u.output());
    assert.match(u.output(), /destination-connectivity\s+cannot connect to 127\.0\.0\.1:1: .*(is Redis running on that port\?|firewall)/);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('OOM on the destination: the precheck warns first; forced, the task fails naming the command, offset and what to read', async () => {
  const src = await startRedis();
  const dst = await startRedis({ config: { maxmemory: '2mb', 'maxmemory-policy': 'noeviction' } });
  try {
    await fillKeys(src.client(), 30_000);
    const spec = taskSpec('oom', src, dst);
    const pre = startDaemon(spec);
    assert.equal(await pre.exited(), 1, pre.output());
    assert.match(pre.output(), /destination-memory\s+destination maxmemory \(\d+ bytes\) is smaller than what the source uses .*raise maxmemory/);
    const d = startDaemon(spec, { args: ['--skip-prechecks'] });
    assert.equal(await d.exited(), 1, d.output());
    assert.match(d.output(), /task "oom" failed: destination refused .*OOM command not allowed/);
    assert.match(d.output(), /see "redis-sync logs oom --state-dir .*" and docs\/troubleshooting\.md; once fixed, run it again/);
    const st = cli(['status', 'oom', '--state-dir', d.stateDir]);
    assert.match(st.stdout, /task oom {2}Failed/);
    assert.match(st.stdout, /last error destination refused .*OOM command not allowed.*\(not retryable\)/);
    const logs = cli(['logs', 'oom', '--level', 'error', '--state-dir', d.stateDir]);
    assert.match(logs.stdout, / ERROR task failed \(not retryable\) .*err=.*OOM command not allowed/);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('WRONGTYPE: a key changed on the destination fails the task with the command and offset', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const d = startDaemon(taskSpec('wrongtype', src, dst));
  try {
    await d.waitForState('Synchronizing', 60_000);
    await dst.client().rpush('counter', 'a list now');
    await src.client().incr('counter');
    await d.waitForState('Failed', 30_000);
    const st = cli(['status', 'wrongtype', '--state-dir', d.stateDir]);
    assert.match(st.stdout, /task wrongtype {2}Failed/);
    // The failing command of a transaction batch is named by its position (the batch's EXEC), not yet by its key.
    assert.match(st.stdout, /last error destination refused .*\(offset \d+\): WRONGTYPE Operation against a key holding the wrong kind of value.*\(not retryable\)/);
    const list = cli(['list', '--state-dir', d.stateDir]);
    assert.match(list.stdout, /wrongtype\s+Failed\s+\d+\s+\S+\s+.*WRONGTYPE/);
  } finally {
    await d.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
