// An EVALSHA in the stream reaches a destination that never saw the script (restarted, SCRIPT FLUSH): the body
// recorded from an earlier EVAL / SCRIPT LOAD is loaded first, so the command does not fail with NOSCRIPT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../harness/redis';
import { ScriptBodies } from '../../provider/task/script-bodies';
import { StandaloneWriter } from '../../provider/writer/standalone-writer';
import { encodeCommand } from '../../provider/resp/encode';
import { scriptSha } from '../../provider/writer/script-cache';

test('EVALSHA of a script seen earlier in the stream is repaired on a destination without it', async () => {
  const dst = await startRedis();
  try {
    const body = Buffer.from("return redis.call('SET', KEYS[1], ARGV[1])");
    const scripts = new ScriptBodies();
    scripts.observe([Buffer.from('SCRIPT'), Buffer.from('LOAD'), body]);
    scripts.observe([Buffer.from('SET'), Buffer.from('k'), Buffer.from('v')]);
    assert.ok(scripts.lookup(scriptSha(body))?.equals(body));
    const writer = await StandaloneWriter.open({ mode: 'standalone', nodes: [dst.addr] }, { scriptBody: scripts.lookup });
    await dst.client().call('SCRIPT', 'FLUSH');
    writer.write(0, null, encodeCommand(['EVALSHA', scriptSha(body), 1, 'via-sha', 'ok']), 1);
    await writer.flush();
    assert.equal(await dst.client().get('via-sha'), 'ok');
    await writer.close();
  } finally {
    await dst.stop();
  }
});
