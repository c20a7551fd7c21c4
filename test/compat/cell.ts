// One cell of the compatibility matrix: a source of one version into a destination of another, through the real
// daemon: prechecks (which must name what the destination cannot hold), full sync, incremental sync under the mixed
// load, kill -9 of the daemon with writes while it is down, resume, and verify as the oracle.
import assert from 'node:assert/strict';
import { runPrechecks } from '../../provider/precheck/run-prechecks';
import { verify } from '../../provider/verify/verify';
import { requireLiveSource } from '../../provider/spec/resolve';
import { taskKeyFilter } from '../../provider/verify/verify-task';
import { startDaemon } from '../harness/daemon';
import { sleep, type RedisServer } from '../harness/redis';
import { caughtUp, taskSpec } from '../harness/sync';
import { startVersion, type ServerVersion } from './servers';
import { loadRound, populate, shapeFor, UNSUPPORTED_PREFIX } from './workload';

export interface CellResult {
  keysCompared: number;
  /** The failed precheck's message when the source holds data the destination cannot (then skipped). */
  refused: string | null;
}

export async function runCell(src: ServerVersion, dst: ServerVersion, rounds = 60): Promise<CellResult> {
  const servers: RedisServer[] = [];
  try {
    const a = await startVersion(src, { 'repl-backlog-size': '16mb' });
    servers.push(a);
    const b = await startVersion(dst);
    servers.push(b);
    const shape = shapeFor(src, dst);
    const source = a.client(); // once: each client() call adds an error listener
    await populate(source, src, shape);
    const name = `compat-${src.id}-${dst.id}`.replace(/[^a-z0-9-]/gi, '-');
    const spec = taskSpec(name, a, b);
    const items = await runPrechecks(spec, { resuming: false });
    const failed = items.filter((i) => i.result === 'failed');
    let refused: string | null = null;
    if (shape.unsupported.length) {
      const item = failed.find((i) => i.id === 'destination-unsupported-data');
      assert.ok(item, `${src.label} -> ${dst.label}: the prechecks must refuse ${shape.unsupported.join(', ')}; got ${JSON.stringify(failed)}`);
      for (const what of shape.unsupported) assert.ok(failed.some((i) => i.message.includes(what)), `no precheck names ${what}: ${JSON.stringify(failed)}`);
      refused = failed.filter((i) => i.id === 'destination-unsupported-data').map((i) => i.message).join(' | ');
      // Keys by name ("0:u:x:1"), function libraries by theirs.
      if (shape.unsupported.some((u) => u !== 'function libraries')) assert.match(refused, /0:u:/, 'the refusal names the keys');
      if (shape.unsupported.includes('function libraries')) assert.match(refused, /\(compat\)/, 'the refusal names the library');
      spec.ignorePrechecks = ['destination-unsupported-data'];
    }
    assert.deepEqual(failed.filter((i) => i.id !== 'destination-unsupported-data'), [], `${src.label} -> ${dst.label}: prechecks failed`);

    let d = startDaemon(spec);
    await d.waitForState('Synchronizing', 120_000);
    const half = Math.floor(rounds / 2);
    for (let i = 0; i < half; i++) await loadRound(source, src, shape, i);
    await d.kill('SIGKILL');
    // Written while the daemon is down: replayed from the source's backlog on resume (+CONTINUE).
    for (let i = half; i < rounds; i++) await loadRound(source, src, shape, i);
    d = startDaemon(spec, { stateDir: d.stateDir });
    await d.waitForState('Synchronizing', 120_000);
    await sleep(400); // the short-lived keys expire on the source, whose DEL/UNLINK comes through the stream
    await caughtUp(d, a, 60_000);
    const ignore = taskKeyFilter(spec);
    const prefix = Buffer.from(UNSUPPORTED_PREFIX);
    const report = await verify(requireLiveSource(spec.source, 'verify'), spec.destination, { ignoreKeys: (k) => ignore(k) || k.subarray(0, prefix.length).equals(prefix) });
    await d.kill('SIGTERM');
    assert.equal(report.consistent, true, `${src.label} -> ${dst.label}: verify found differences: ${JSON.stringify(report.firstMismatches.slice(0, 5))}\ndaemon output: ${d.output().slice(-3000)}`);
    assert.ok(report.keysCompared > 100, `verify compared only ${report.keysCompared} keys`);
    if (shape.unsupported.length) {
      for (const k of [shape.streamKey, shape.fieldTtlKey].filter((x) => x.startsWith(UNSUPPORTED_PREFIX))) assert.equal(await b.client().exists(k), 0, `${k}: keys the destination cannot hold are skipped`);
    }
    return { keysCompared: report.keysCompared, refused };
  } finally {
    for (const s of servers) await s.stop();
  }
}
