// Runs `redis-sync` the way a user does and collects what it says, bounded in time.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../harness/daemon';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr, ms: Date.now() - t0 });
  }));
}

/** Writes a task file (any JSON, valid or not) and returns its path and a fresh state dir. */
export function taskFile(spec: unknown): { path: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-bad-'));
  const path = join(dir, 'task.json');
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec), { mode: 0o600 });
  return { path, stateDir: join(dir, 'state') };
}

export async function runTask(spec: unknown, extra: string[] = [], timeoutMs = 60_000): Promise<CliResult & { stateDir: string }> {
  const { path, stateDir } = taskFile(spec);
  const r = await runCli(['run', '--config', path, '--state-dir', stateDir, ...extra], { timeoutMs });
  return { ...r, stateDir };
}
