// `redis-sync status --watch` in a real terminal (tmux) during a full sync: the progress bar moves, the screen is
// redrawn in place, Ctrl-C ends it. Without a terminal it prints one block per refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../harness/redis';
import { startDaemon, CLI } from '../harness/daemon';
import { cli, fillKeys, slowSource, taskSpec, until } from './helpers';

// A tmux server of its own, on a socket in a temporary directory removed at the end: the user's tmux is not touched.
const SOCKET_DIR = mkdtempSync(join(tmpdir(), 'redis-sync-tmux-'));
const SOCKET = join(SOCKET_DIR, 'socket');
process.on('exit', () => rmSync(SOCKET_DIR, { recursive: true, force: true }));

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function sessionAlive(name: string): boolean {
  try {
    tmux('has-session', '-t', name);
    return true;
  } catch {
    return false;
  }
}

interface Frame { percent: number; keys: number; text: string }

function parseFrame(text: string): Frame | null {
  const m = /full sync\s+\[[#-]+\]\s+([\d.]+)%\s+([\d.]+)(k|M)?\/[\d.]+(?:k|M)? keys/.exec(text);
  if (!m) return null;
  const keys = Number(m[2]) * (m[3] === 'k' ? 1000 : m[3] === 'M' ? 1_000_000 : 1);
  return { percent: Number(m[1]), keys, text };
}

test('status --watch in a terminal: the full-sync progress bar moves and the view is redrawn in place', async () => {
  const src = await slowSource(150);
  const dst = await startRedis();
  const session = 'watch';
  let daemon: ReturnType<typeof startDaemon> | null = null;
  try {
    await fillKeys(src.client(), 40_000);
    const spec = taskSpec('watched', src, dst);
    daemon = startDaemon(spec);
    await daemon.waitFor((s) => s.nodes[0]?.fullSync.keysDone > 0, 30_000, 'the full sync to begin');
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40',
      `NO_COLOR=1 ${process.execPath} ${CLI} status watched --watch --count 240 --state-dir ${daemon.stateDir}`);
    const frames: Frame[] = [];
    const moved = await until('two captures with different progress', 30_000, () => {
      const f = parseFrame(tmux('capture-pane', '-p', '-t', session));
      if (f && f.percent < 100) frames.push(f);
      const first = frames[0];
      const later = frames.find((x) => x.percent > first?.percent && x.keys > first.keys);
      return first && later ? [first, later] : undefined;
    }, 300);
    const [a, b] = moved;
    assert.ok(b.percent > a.percent && b.keys > a.keys, `progress did not move: ${a.percent}% -> ${b.percent}%`);
    // Redrawn in place: one view on the screen, not a scroll of blocks.
    const screen = tmux('capture-pane', '-p', '-t', session);
    assert.equal(screen.match(/task watched/g)?.length, 1, `expected one view on the screen:\n${screen}`);
    assert.match(screen, /Ctrl-C to quit/);
    assert.match(screen, /keys\/s/);
    assert.match(screen, /eta \d/, `an ETA while the full sync runs:\n${a.text}`);
    // Ctrl-C ends the watch (and the session with it).
    tmux('send-keys', '-t', session, 'C-c');
    await until('the watch to end on Ctrl-C', 10_000, () => (sessionAlive(session) ? undefined : true), 100);
    // The sync itself was not disturbed and finishes.
    const st = await daemon.waitForState('Synchronizing', 120_000);
    assert.equal(st.nodes[0].fullSync.keysDone, 40_000);
  } finally {
    try { tmux('kill-server'); } catch { /* no server left */ }
    if (daemon) await daemon.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});

test('status --watch without a terminal prints a new block each time, bounded by --count', async () => {
  const src = await startRedis();
  const dst = await startRedis();
  const daemon = startDaemon(taskSpec('piped', src, dst));
  try {
    await daemon.waitForState('Synchronizing', 60_000);
    const started = Date.now();
    const r = cli(['status', 'piped', '--watch', '--count', '3', '--interval', '200', '--state-dir', daemon.stateDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 20_000);
    assert.equal(r.stdout.match(/^--- \d{4}-/gm)?.length, 3, r.stdout);
    assert.equal(r.stdout.match(/task piped {2}Synchronizing/g)?.length, 3, r.stdout);
    assert.ok(!r.stdout.includes('\x1b'), 'no escape sequences without a terminal');
    // --json --watch: one JSON document per line.
    const j = cli(['status', 'piped', '--watch', '--json', '--count', '2', '--interval', '100', '--state-dir', daemon.stateDir]);
    const docs = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { task: string; state: string; daemonRunning: boolean });
    assert.equal(docs.length, 2);
    assert.equal(docs[0].task, 'piped');
    assert.equal(docs[1].daemonRunning, true);
    // Usage errors say what is wrong.
    const bad = cli(['status', 'piped', '--count', '2', '--state-dir', daemon.stateDir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--count only makes sense with --watch/);
    const none = cli(['status', 'nosuch', '--state-dir', daemon.stateDir]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /task "nosuch" has no status/);
  } finally {
    await daemon.kill('SIGTERM');
    await Promise.all([src.stop(), dst.stop()]);
  }
});
