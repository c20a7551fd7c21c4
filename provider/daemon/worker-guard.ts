// Loaded into the worker (`redis-sync run`) with `node --require` by the supervisor: the worker must never outlive
// it. When the supervisor dies (even by SIGKILL) the IPC channel closes; the worker then stops as on SIGTERM (flushes
// what is in flight, saves its checkpoint) and is forced out if that takes longer than the grace period.
// The parent pid is polled as well, in case the channel is missing. Nothing here reads or logs the spec.

const GRACE_MS = Number(process.env.REDIS_SYNC_WORKER_GRACE_MS) || 15_000;

let stopping = false;

function stopWorker(): void {
  if (stopping) return;
  stopping = true;
  // run-command handles SIGTERM as a graceful stop; before it installs its handler SIGTERM simply ends the process.
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), GRACE_MS).unref();
}

// The supervisor may be gone while the worker still writes to the pipes it held: a broken pipe must not crash it.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

if (process.channel) {
  // The channel must not keep a finished worker alive.
  process.channel.unref();
  process.on('disconnect', stopWorker);
}

const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) stopWorker();
}, 1000).unref();
