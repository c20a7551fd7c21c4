// One SSH target driven through the system's OpenSSH client (no SSH library: the client every host and CI image has,
// with its own host-key checking). The private key lives in a 0600 file of a 0700 temporary directory for the time of
// one provider operation, next to a known_hosts file that pins the host's key; close() removes both.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { SshRunnerSpec } from '../../spec/types';
import { classifySshFailure, SshError } from './ssh-errors';

/** known_hosts names: the key is pinned to the task's target, whatever address reaches it. */
const HOST_ALIAS = 'redis-sync-host';
const JUMP_ALIAS = 'redis-sync-jump';

export interface ExecResult { code: number; stdout: string; stderr: string }

export interface ExecOptions {
  /** Standard input of the remote command: a secret spec, or a package tarball. */
  input?: string | Readable;
  timeoutMs?: number;
}

export class SshConnection {
  private readonly dir: string;
  private readonly keyPath: string;
  private readonly knownHosts: string;
  /** Whether the host's key is trusted on first use (no key given and none kept in the state yet). */
  private readonly tofu: boolean;

  constructor(readonly target: SshRunnerSpec, pinnedHostKey: string | null) {
    this.dir = mkdtempSync(join(tmpdir(), 'redis-sync-ssh-'));
    this.keyPath = join(this.dir, 'id');
    this.knownHosts = join(this.dir, 'known_hosts');
    // OpenSSH refuses a key file without a final newline ("invalid format"); Pulumi values often lose it.
    writeFileSync(this.keyPath, target.privateKey.trimEnd() + '\n', { mode: 0o600 });
    const hostKey = target.hostKey ?? pinnedHostKey;
    this.tofu = !hostKey;
    const lines = [hostKey ? `${HOST_ALIAS} ${keyPart(hostKey)}` : '', target.jump ? `${JUMP_ALIAS} ${keyPart(target.jump.hostKey)}` : ''];
    writeFileSync(this.knownHosts, lines.filter(Boolean).join('\n') + '\n', { mode: 0o600 });
  }

  /** "user@host:port", for messages. */
  get where(): string {
    const via = this.target.jump ? ` via ${this.target.jump.user}@${this.target.jump.host}:${this.target.jump.port ?? 22}` : '';
    return `${this.target.user}@${this.target.host}:${this.target.port ?? 22}${via}`;
  }

  /** The host key this connection checks against, or the one it saw first (trust on first use); null before. */
  hostKey(): string | null {
    if (this.target.hostKey) return keyPart(this.target.hostKey);
    const line = readFileSync(this.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${HOST_ALIAS} `));
    return line ? line.slice(HOST_ALIAS.length + 1).trim() : null;
  }

  private commonOptions(alias: string, strict: string): string[] {
    const timeout = this.target.connectTimeoutSeconds ?? 10;
    return [
      '-F', '/dev/null', '-i', this.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      '-o', `StrictHostKeyChecking=${strict}`, '-o', `UserKnownHostsFile=${this.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', `HostKeyAlias=${alias}`, '-o', `ConnectTimeout=${timeout}`, '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3',
      '-o', 'LogLevel=ERROR',
    ];
  }

  private argv(command: string): string[] {
    const t = this.target;
    const out = this.commonOptions(HOST_ALIAS, this.tofu ? 'accept-new' : 'yes');
    if (t.jump) {
      // The bastion with the same key and its own pinned key; the paths are ours (no spaces), ssh runs this with sh.
      const proxy = ['ssh', ...this.commonOptions(JUMP_ALIAS, 'yes'), '-p', String(t.jump.port ?? 22), '-W', '%h:%p', `${t.jump.user}@${t.jump.host}`];
      out.push('-o', `ProxyCommand=${proxy.join(' ')}`);
    }
    return [...out, '-p', String(t.port ?? 22), `${t.user}@${t.host}`, '--', command];
  }

  /** Runs a command on the host (through its login shell). Throws SshError when the connection itself failed. */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', this.argv(command), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => undefined); // a connection that failed closes it early; its exit says why
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
      child.once('error', (e) => { clearTimeout(timer); reject(new SshError('client', `cannot run the ssh client (${e.message}): install OpenSSH's client (Debian: apt-get install openssh-client)`, this.where)); });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const res = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        // 255 is ssh's own failure (connection, host key, authentication); the remote command's codes are below.
        if (res.code === 255 || signal) reject(classifySshFailure(res.stderr, this.where, signal !== null));
        else resolve(res);
      });
      if (opts.input === undefined) child.stdin.end();
      else if (typeof opts.input === 'string') child.stdin.end(opts.input);
      else opts.input.pipe(child.stdin);
    });
  }

  /** Like exec, and a non-zero exit is an error that carries the command's stderr. */
  async run(command: string, what: string, opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) throw new SshError('command', `${what} failed on ${this.where} (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' | ') || 'no message'}`, this.where);
    return r.stdout;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** "ssh-ed25519 AAAA..." without a trailing comment. */
export function keyPart(publicKey: string): string {
  return publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function withSsh<T>(target: SshRunnerSpec, pinned: string | null, fn: (c: SshConnection) => Promise<T>): Promise<T> {
  const c = new SshConnection(target, pinned);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
