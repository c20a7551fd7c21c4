// Data the destination cannot hold that arrives after the prechecks passed (a hash field TTL written on a 7.4 source
// while syncing into 7.0): the task stops naming the command, the key and the offset; with
// destination-unsupported-data ignored, the key is skipped whole (a warning in the log names it) and the rest stays
// consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon } from '../harness/daemon';
import { sleep } from '../harness/redis';
import { caughtUp, taskSpec } from '../harness/sync';
import { verify } from '../../provider/verify/verify';
import { requireLiveSource } from '../../provider/spec/resolve';
import { taskKeyFilter } from '../../provider/verify/verify-task';
import { taskPaths } from '../../provider/state/files';
import { compatServers, DEBIAN, startVersion } from './servers';

test('a hash field TTL arriving for a 7.0 destination stops the task naming it, or is skipped with its key', { timeout: 10 * 60_000 }, async (t) => {
  const found = compatServers();
  if ('skip' in found) {
    console.log(`skipped: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  const src = await startVersion(found.servers.get('7.4')!);
  const dst = await startVersion(DEBIAN);
  try {
    const c = src.client(); // once: each client() call adds an error listener
    await c.mset('a', '1', 'b', '2');
    const stop = taskSpec('unsupported-stop', src, dst);
    let d = startDaemon(stop);
    await d.waitForState('Synchronizing', 60_000);
    await c.call('HSET', 'h:ttl', 'f', 'v', 'g', 'w');
    await c.call('HPEXPIRE', 'h:ttl', '60000', 'FIELDS', '1', 'f');
    const failed = await d.waitForState('Failed', 30_000);
    assert.match(failed.lastError?.message ?? '', /HPEXPIREAT: hash field TTLs need Redis 7\.4 or later: the destination \(Redis 7\.0\.15\) cannot apply it \(key "h:ttl", source 127\.0\.0\.1:\d+, offset \d+\); list destination-unsupported-data in ignorePrechecks/);
    await d.exited();

    // The same task told to skip such keys: h:ttl (already written by HSET before the failure) is not on the destination.
    await c.set('c', '3');
    const skip = { ...stop, ignorePrechecks: ['destination-unsupported-data'] };
    d = startDaemon(skip, { stateDir: d.stateDir });
    await d.waitForState('Synchronizing', 60_000);
    await c.call('HSET', 'h:ttl', 'x', 'y');
    await c.set('d', '4');
    await caughtUp(d, src, 30_000);
    await sleep(200);
    assert.equal(await dst.client().exists('h:ttl'), 0, 'the skipped key is not on the destination');
    assert.equal(await dst.client().get('d'), '4');
    const ignore = taskKeyFilter(skip);
    const report = await verify(requireLiveSource(skip.source, 'verify'), skip.destination, { ignoreKeys: (k) => ignore(k) || k.toString() === 'h:ttl' });
    assert.equal(report.consistent, true, JSON.stringify(report.firstMismatches));
    const log = readFileSync(taskPaths(d.stateDir, skip.name).log, 'utf8');
    assert.match(log, /skipped \(destination-unsupported-data is ignored\)/);
    assert.match(log, /h:ttl/);
    await d.kill('SIGTERM');
  } finally {
    await src.stop();
    await dst.stop();
  }
});
