// Drift in `pulumi refresh`: with the verify input the daemon verifies a sample of the keys periodically, and a refresh
// shows its last result as the output lastVerify; the daemon runs as the task's ACL users (read-only keys on the source).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, sleep } from '../harness/redis';
import { createProject, pulumiBinDir, taskOutputs, TASK_PROGRAM } from '../harness/pulumi';

const SRC_PASS = 'src-drift-secret';
const DST_PASS = 'dst-drift-secret';

before(() => { pulumiBinDir(); });

interface LastVerify { consistent: boolean; differences: number; keysCompared: number; error: string | null; firstDifferences: Array<{ key: string; problem: string }> }

test('refresh shows the last periodic verify: consistent, then the drift of a key changed on the destination', async () => {
  const src = await startRedis({ password: SRC_PASS });
  const dst = await startRedis({ password: DST_PASS });
  const p = createProject('drift', TASK_PROGRAM);
  try {
    for (let i = 0; i < 200; i++) await src.client().set(`k:${i}`, `v${i}`);
    await p.run(['stack', 'init', 'dev']);
    await p.setConfig('taskArgs', JSON.stringify({
      source: { mode: 'standalone', nodes: [src.addr] }, destination: { mode: 'standalone', nodes: [dst.addr] },
      heartbeat: { intervalMs: 100 }, access: { createUsers: true }, verify: { everyMinutes: 0.05, sample: 1 },
    }));
    await p.setConfig('srcPass', SRC_PASS, true);
    await p.setConfig('dstPass', DST_PASS, true);
    await p.run(['up', '--yes', '--skip-preview']);
    const lastVerify = async (): Promise<LastVerify | null> => {
      await p.run(['refresh', '--yes', '--skip-preview']);
      return ((await taskOutputs(p))[0].lastVerify ?? null) as LastVerify | null;
    };
    let v: LastVerify | null = null;
    for (let i = 0; i < 10 && !v; i++) { await sleep(2000); v = await lastVerify(); }
    assert.ok(v, 'no lastVerify output after 10 refreshes');
    assert.equal(v.error, null);
    assert.equal(v.consistent, true, JSON.stringify(v));
    assert.equal(v.keysCompared, 200);
    await dst.client().set('k:9', 'drifted');
    for (let i = 0; i < 10 && v.consistent; i++) { await sleep(2000); v = (await lastVerify())!; }
    assert.equal(v.consistent, false);
    assert.equal(v.differences, 1);
    assert.deepEqual(v.firstDifferences.map((x) => [x.key, x.problem]), [['k:9', 'value']]);
  } finally {
    await p.run(['destroy', '--yes', '--skip-preview'], { allowFail: true });
    p.remove();
    await Promise.all([src.stop(), dst.stop()]);
  }
});
