// The SSH runner's pieces that need no host: the shell it sends parses, the systemd unit (no systemd in the test host's
// namespace, so this is its only check) restarts on failure, starts at boot and takes the spec from a 0600 file, the
// client's failures are told apart, and the package it sends has the daemon's dependencies but not the Pulumi SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as scripts from '../../provider/runner/ssh/remote-scripts';
import { classifySshFailure } from '../../provider/runner/ssh/ssh-errors';
import { runtimeFiles } from '../../provider/runner/ssh/package-files';

const dir = scripts.taskDirExpr('~/.redis-sync-runner', 'orders-1a2b');

test('every script the runner sends is valid sh', () => {
  const all = [
    scripts.probeScript(), scripts.installScript(dir, 'pulumi-redis-sync@0.1.0+abc'), scripts.precheckScript(dir, true),
    scripts.startScript(dir, 'orders-1a2b', 'orders/orders-1a2b', 'systemd'), scripts.startScript(dir, 'orders-1a2b', 'orders/orders-1a2b', 'supervisor'),
    scripts.inspectScript(dir, 'orders-1a2b', null), scripts.stopScript(dir, 'orders-1a2b'), scripts.removeScript(dir, 'orders-1a2b'),
  ];
  for (const s of all) execFileSync('sh', ['-n', '-c', s]);
  assert.equal(scripts.sh(`it's`), `'it'\\''s'`);
});

test('the systemd unit: restart on failure, enabled at boot, the spec on stdin from spec.json, no secret in it', () => {
  const s = scripts.startScript(dir, 'orders-1a2b', 'orders/orders-1a2b', 'systemd');
  const unit = s.slice(s.indexOf('[Unit]'), s.indexOf('\nEOF'));
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  assert.match(unit, /^StandardInput=file:\$D_ABS\/spec\.json$/m);
  assert.match(s, /systemctl enable redis-sync-orders-1a2b\.service/);
  assert.doesNotMatch(unit, /Environment|"password"|--config/);
  // The spec is written from the command's stdin, readable by its owner only.
  assert.match(s, /umask 077;.*cat > "\$D\/spec\.json\.new"; chmod 600/s);
});

test('the crontab entries: @reboot and a keeper that leaves a stopped task be', () => {
  const s = scripts.startScript(dir, 'orders-1a2b', 'orders/orders-1a2b', 'supervisor');
  assert.match(s, /printf '@reboot %s/);
  assert.match(s, /printf '\* \* \* \* \* %s --unless-stopped/);
  assert.match(s, /# redis-sync task orders-1a2b/);
});

test('ssh failures are told apart', () => {
  const kind = (stderr: string): string => classifySshFailure(stderr, 'root@h:22', false).kind;
  assert.equal(kind('Host key verification failed.'), 'hostKey');
  assert.equal(kind('@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@'), 'hostKey');
  assert.equal(kind('root@h: Permission denied (publickey).'), 'auth');
  assert.equal(kind('Load key "/tmp/x/id": invalid format'), 'auth');
  assert.equal(kind('ssh: connect to host h port 22: Connection refused'), 'unreachable');
  assert.equal(kind('ssh: connect to host h port 22: Connection timed out'), 'unreachable');
  assert.equal(kind('ssh: Could not resolve hostname nope: Name or service not known'), 'unreachable');
  assert.equal(classifySshFailure('', 'root@h:22', true).kind, 'unreachable');
});

test('the package sent to a host: the daemon and its dependencies, not the Pulumi SDK', () => {
  const files = runtimeFiles();
  for (const f of ['package.json', 'bin', 'dist/provider', 'schema.json', 'node_modules/ioredis', 'node_modules/pino', 'node_modules/ajv']) assert.ok(files.includes(f), `${f} missing`);
  assert.ok(!files.some((f) => f.startsWith('node_modules/@pulumi')), 'the Pulumi SDK is sent');
});
