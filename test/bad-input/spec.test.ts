// Invalid task specs through `redis-sync run --config`: rejected before anything connects, with exit code 2 and one
// line per problem naming its property path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, runTask } from './cli';

const ok = {
  name: 'bad',
  source: { mode: 'standalone', nodes: ['127.0.0.1:1'] },
  destination: { mode: 'standalone', nodes: ['127.0.0.1:2'] },
};

const cases: Array<{ what: string; spec: unknown; expect: RegExp[] }> = [
  {
    what: 'wrong types',
    spec: { ...ok, source: { mode: 'standalone', nodes: '127.0.0.1:6379', tls: 'yes' }, databases: ['0'], forwardPublish: 1 },
    expect: [/source\.nodes: must be array/, /source\.tls: must be boolean/, /databases\[0\]: must be integer/, /forwardPublish: must be boolean/],
  },
  {
    what: 'unknown fields',
    spec: { ...ok, sourc: {}, heartbeat: { interval: 100 } },
    expect: [/sourc: is not a known field \(check the spelling; see schema\.json\)/, /heartbeat\.interval: is not a known field/],
  },
  {
    what: 'a source with neither nodes nor an RDB file',
    spec: { ...ok, source: { password: 'x' } },
    expect: [/source\.mode: is required \(or source\.rdbFile, to load an RDB file\)/, /source\.nodes: is required \(or source\.rdbFile/],
  },
  {
    what: 'an RDB file with a cluster source, a renamed PSYNC, nodes without mode, and on the destination',
    spec: { ...ok, source: { rdbFile: '/backups/a.rdb', mode: 'cluster', nodes: ['127.0.0.1:1'], psyncCommand: 'x' }, destination: { ...ok.destination, rdbFile: '/b.rdb' } },
    expect: [/source\.mode: an RDB file is one master's snapshot/, /source\.psyncCommand: cannot follow an RDB file/, /destination\.rdbFile: only the source is read from a file/],
  },
  {
    what: 'nodes without mode beside an RDB file',
    spec: { ...ok, source: { rdbFile: '/backups/a.rdb', nodes: ['127.0.0.1:1'] } },
    expect: [/source\.mode: is required with rdbFile and nodes/],
  },
  {
    what: 'a node that is not host:port',
    spec: { ...ok, source: { mode: 'standalone', nodes: ['localhost'] } },
    expect: [/source\.nodes\[0\]: must be "host:port" with a port from 1 to 65535/],
  },
  {
    what: 'a port out of range',
    spec: { ...ok, destination: { mode: 'standalone', nodes: ['127.0.0.1:99999'] } },
    expect: [/destination\.nodes\[0\]: "127\.0\.0\.1:99999" must be "host:port" with a port from 1 to 65535/],
  },
  {
    what: 'an empty node list',
    spec: { ...ok, source: { mode: 'standalone', nodes: [] } },
    expect: [/source\.nodes: must have at least 1 item\(s\)/],
  },
  {
    what: 'negative durations',
    spec: { ...ok, connectionRetryMinutes: -1, heartbeat: { intervalMs: -5 }, waitTimeoutSeconds: -3 },
    expect: [/connectionRetryMinutes: must be >= 0/, /heartbeat\.intervalMs: must be >= 50/, /waitTimeoutSeconds: must be >= 1/],
  },
  {
    what: 'a wrong mode and a missing destination',
    spec: { name: 'bad', source: { mode: 'replica', nodes: ['127.0.0.1:1'] } },
    expect: [/source\.mode: must be one of "standalone", "cluster"/, /destination: is required/],
  },
];

for (const c of cases) {
  test(`invalid spec (${c.what}) is rejected with the property path and exit code 2`, { timeout: 30_000 }, async () => {
    const r = await runTask(c.spec);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^redis-sync: invalid task spec:/);
    for (const e of c.expect) assert.match(r.stderr, e);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });
}

test('a task file that is not JSON, and one that does not exist, exit with 2', { timeout: 30_000 }, async () => {
  const notJson = await runTask('{"name": "bad",');
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /task\.json is not valid JSON/);
  const missing = await runCli(['run', '--config', '/nonexistent/task.json']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the task file \/nonexistent\/task\.json/);
  const noConfig = await runCli(['run']);
  assert.equal(noConfig.code, 2);
  assert.match(noConfig.stderr, /--config task\.json is required/);
});

test('an invalid spec on standard input (--config -, as the daemon takes it) is rejected the same way', { timeout: 30_000 }, async () => {
  const r = await runCli(['run', '--config', '-', '--state-dir', '/tmp/redis-sync-bad-stdin'], { stdin: JSON.stringify({ ...ok, connectionRetryMinutes: 'soon' }) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /connectionRetryMinutes: must be number/);
});

test('fractional retry minutes are accepted (0.1 = 6 s)', async () => {
  const { validateSpec } = await import('../../provider/spec/validate');
  const { resolveTask } = await import('../../provider/spec/resolve');
  assert.equal(resolveTask(validateSpec({ ...ok, connectionRetryMinutes: 0.1 }) ).connectionRetryMs, 6000);
});

test('the build\'s standalone validator is the one in use and reports what ajv compiled now reports', async () => {
  const { loadStandalone, compileSchema, schemaText } = await import('../../provider/spec/schema-compiler');
  const standalone = loadStandalone();
  assert.ok(standalone, 'npm run build writes dist/provider/spec/schema-validator.js from the current schema.json');
  const fresh = compileSchema();
  for (const c of cases) {
    assert.equal(standalone(c.spec), fresh(c.spec), c.what);
    assert.deepEqual(standalone.errors, fresh.errors, c.what);
  }
  assert.equal(standalone(ok), true);
  // An edited schema is never checked against the stale standalone code.
  assert.equal(loadStandalone(schemaText().replace('"RedisSyncTask"', '"RedisSyncTask2"')), null);
});
