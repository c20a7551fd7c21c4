// A test "sync host" that is not the machine running `pulumi`: a network namespace of its own with a private /30 over
// a veth pair, its own host name (a UTS namespace for its sshd, so its daemons report it), Debian's OpenSSH server
// with a fresh host key and a fresh client key, and room for redis-servers bound to its address. Only the namespace's
// own addresses and loopback are used. stop() kills every process in the namespace (all started by the test) and
// deletes it, which removes the veth pair.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { sleep } from './redis';

export const SSHD = '/usr/sbin/sshd';

export interface TestHost {
  ns: string;
  /** The host's address (inside the namespace) and this machine's end of the veth pair. */
  address: string;
  outer: string;
  hostname: string;
  /** "ssh-ed25519 AAAA..." of the sshd, and the client's private key text (authorized for root). */
  hostKey: string;
  clientKey: string;
  /** A private key the host does not accept, and the public key of another host (for the failure tests). */
  strangerKey: string;
  otherHostKey: string;
  dir: string;
  /** Starts an sshd on port (22 by default) with this PATH for sessions; its log goes to sshdLog(port). */
  startSshd(port?: number, path?: string): Promise<void>;
  sshdLog(port?: number): string;
  /** Runs a command in the namespace (as the host would) and returns its stdout. */
  exec(cmd: string[]): string;
  /** Every process in the namespace. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Why the test cannot build a host here, or null. */
export function hostUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, sshd)';
  if (!existsSync(SSHD)) return `${SSHD} missing: run scripts/setup.sh (installs openssh-server)`;
  const probe = `rs-probe-${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `network namespaces unavailable: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'delete', probe]);
  return null;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function keygen(path: string): void {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'redis-sync-test', '-f', path]);
}

async function waitListening(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`sshd on ${host}:${port} did not listen within ${timeoutMs} ms`);
}

export async function createTestHost(): Promise<TestHost> {
  const tag = randomBytes(3).toString('hex');
  const ns = `rs12-${tag}`;
  const [a, b] = [randomBytes(1)[0], randomBytes(1)[0] % 64];
  const outer = `10.231.${a}.${4 * b + 1}`;
  const address = `10.231.${a}.${4 * b + 2}`;
  const vethOut = `rs12o${tag}`;
  const vethIn = `rs12i${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-host-'));
  const hostname = `rs-host-${tag}`;
  const nsExec = (cmd: string[]): string => run('ip', ['netns', 'exec', ns, ...cmd]);
  run('ip', ['netns', 'add', ns]);
  try {
    run('ip', ['link', 'add', vethOut, 'type', 'veth', 'peer', 'name', vethIn]);
    run('ip', ['link', 'set', vethIn, 'netns', ns]);
    run('ip', ['addr', 'add', `${outer}/30`, 'dev', vethOut]);
    run('ip', ['link', 'set', vethOut, 'up']);
    nsExec(['ip', 'addr', 'add', `${address}/30`, 'dev', vethIn]);
    nsExec(['ip', 'link', 'set', vethIn, 'up']);
    nsExec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    spawnSync('ip', ['netns', 'delete', ns]);
    spawnSync('ip', ['link', 'delete', vethOut]);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  for (const k of ['host_key', 'client_key', 'stranger_key', 'other_host_key']) keygen(join(dir, k));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  // The privilege separation directory Debian's service script creates; sshd refuses to start without it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshdLog = (port = 22): string => join(dir, `sshd-${port}.log`);
  const pids = (): number[] => {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(Number);
  };
  const host: TestHost = {
    ns, address, outer, hostname, dir,
    hostKey: readFileSync(join(dir, 'host_key.pub'), 'utf8').trim(),
    clientKey: readFileSync(join(dir, 'client_key'), 'utf8'),
    strangerKey: readFileSync(join(dir, 'stranger_key'), 'utf8'),
    otherHostKey: readFileSync(join(dir, 'other_host_key.pub'), 'utf8').trim(),
    sshdLog,
    async startSshd(port = 22, path = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`) {
      const config = join(dir, `sshd-${port}.conf`);
      writeFileSync(config, [
        `Port ${port}`, `ListenAddress ${address}`, `HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, `sshd-${port}.pid`)}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
        'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'LogLevel VERBOSE', `SetEnv PATH=${path}`,
      ].join('\n') + '\n');
      // Its own UTS namespace: the host's name is its own, and so is what the daemons it starts report.
      const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'sh', '-c', `hostname ${hostname} && exec ${SSHD} -D -f ${config} -E ${sshdLog(port)}`], { stdio: 'ignore' });
      child.unref();
      await waitListening(address, port, 10_000);
    },
    exec: nsExec,
    pids,
    async stop() {
      for (let i = 0; i < 3; i++) {
        const left = pids();
        if (!left.length) break;
        for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        await sleep(200);
      }
      spawnSync('ip', ['netns', 'delete', ns]);
      spawnSync('ip', ['link', 'delete', vethOut]);
      // The namespace shares this machine's crontab: a boot entry a failed test left behind names this host's dir.
      const cron = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
      if (cron.status === 0 && cron.stdout.includes(dir)) {
        const rest = cron.stdout.split('\n').filter((l) => l && !l.includes(dir));
        if (rest.length) spawnSync('crontab', ['-'], { input: rest.join('\n') + '\n' });
        else spawnSync('crontab', ['-r']);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return host;
}
