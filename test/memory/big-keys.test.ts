// Issue 14: a 300 MB string and a 5M-element list go through a full sync with the daemon's peak RSS under 200 MB.
// The string is random bytes, so the snapshot holds it raw (LZF would shrink a repetitive one to a small RESTORE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { startRedis } from '../harness/redis';
import { startDaemon, removeDir } from '../harness/daemon';
import { taskSpec } from '../harness/sync';
import { fillBigKey, digestValue, peakRssMb } from '../harness/big-keys';

const STRING_BYTES = Number(process.env.BIG_STRING_BYTES ?? 300 * 1024 * 1024);
const LIST_ELEMENTS = Number(process.env.BIG_LIST_ELEMENTS ?? 5_000_000);
const RSS_LIMIT_MB = 200;

test(`a ${STRING_BYTES >> 20} MB string and a ${LIST_ELEMENTS}-element list: full sync under ${RSS_LIMIT_MB} MB of RSS`, { timeout: 240_000 }, async () => {
  const src = await startRedis({ config: { 'repl-diskless-sync': 'yes', 'repl-diskless-sync-delay': '0' } });
  const dst = await startRedis();
  try {
    await fillBigKey(src.client(), 'string', 'big:string', STRING_BYTES);
    await fillBigKey(src.client(), 'list', 'big:list', LIST_ELEMENTS);
    const spec = taskSpec('big-keys', src, dst);
    const d = startDaemon(spec, { args: ['--skip-prechecks'] });
    try {
      await d.waitForState('Synchronizing', 180_000);
      const rss = peakRssMb(d.child.pid!);
      process.stdout.write(`# daemon peak RSS ${rss.toFixed(0)} MB\n`);
      for (const key of ['big:string', 'big:list']) {
        assert.equal(await digestValue(dst.client(), key), await digestValue(src.client(), key), `${key} differs`);
      }
      assert.equal(await dst.client().strlen('big:string'), STRING_BYTES);
      assert.equal(await dst.client().llen('big:list'), LIST_ELEMENTS);
      assert.ok(rss < RSS_LIMIT_MB, `daemon peak RSS ${rss.toFixed(0)} MB, limit ${RSS_LIMIT_MB} MB`);
    } finally {
      await d.kill('SIGTERM');
      removeDir(dirname(d.specPath));
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
});
