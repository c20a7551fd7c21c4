// The shell commands the SSH runner runs on the sync host. A task owns one directory there, <dir>/<task id> (0700):
//   pkg/        this package, installed from the machine that ran `pulumi up`
//   state/      the daemon's state dir (status, log, checkpoint), as `redis-sync status --state-dir` reads it
//   spec.json   the task spec with its passwords, 0600: what the daemon is started with at boot (systemd unit or
//               @reboot crontab entry) without anyone running `pulumi up`. It never holds the SSH key.
// Without systemd the crontab also has a keeper line, every minute: `start --unless-stopped` brings back a supervisor
// that was killed outright (the supervisor itself restarts a crashed worker) and leaves a stopped or failed task be.
// Destroy removes the directory, the unit or the crontab entry. Nothing here holds a secret: the secret spec arrives
// on the command's standard input.

/** A word for the remote shell: our paths and ids are plain, but quoting keeps that from being an assumption. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The task directory, with ~/ as the remote user's home. */
export function taskDirExpr(dir: string | undefined, taskId: string): string {
  const base = dir ?? '~/.redis-sync-runner';
  const expr = base.startsWith('~/') ? `"$HOME"/${sh(base.slice(2))}` : sh(base);
  return `${expr}/${sh(taskId)}`;
}

const PRELUDE = (taskDir: string): string => `set -e; umask 077; D=${taskDir}; NODE=$(command -v node || true)`;

/** Whether node 20+ is there, and whether the host runs systemd with us as root (then the daemon is a unit). */
export function probeScript(): string {
  return `NODE=$(command -v node || true)
if [ -z "$NODE" ]; then echo "nonode"; exit 0; fi
echo "node $("$NODE" -e 'process.stdout.write(process.versions.node)') $NODE"
if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then echo "manager systemd"; else echo "manager supervisor"; fi
if command -v crontab >/dev/null; then echo "crontab yes"; else echo "crontab no"; fi
echo "host $(hostname)"`;
}

/** Unpacks the tarball on stdin into pkg/ unless the same identity is installed. */
export function installScript(taskDir: string, identity: string): string {
  return `${PRELUDE(taskDir)}
mkdir -p "$D"; chmod 700 "$D"
if [ -f "$D/pkg/.identity" ] && [ "$(cat "$D/pkg/.identity")" = ${sh(identity)} ]; then cat >/dev/null; echo kept; exit 0; fi
rm -rf "$D/pkg.new"; mkdir "$D/pkg.new"
tar -xzf - -C "$D/pkg.new"
printf '%s' ${sh(identity)} > "$D/pkg.new/.identity"
rm -rf "$D/pkg"; mv "$D/pkg.new" "$D/pkg"; echo installed`;
}

/** The prechecks from the host, where the daemon connects from: the spec on stdin, the items as JSON on stdout. */
export function precheckScript(taskDir: string, resuming: boolean): string {
  return `${PRELUDE(taskDir)}
exec "$NODE" "$D/pkg/bin/redis-sync" precheck --config - --json${resuming ? ' --resuming' : ''}`;
}

function unitName(taskId: string): string {
  return `redis-sync-${taskId}.service`;
}

/** The crontab line's marker: the entry of this task and no other. */
function cronTag(taskId: string): string {
  return `# redis-sync task ${taskId}`;
}

/** The command that starts the daemon from spec.json unless it runs (at boot, and by `pulumi up` after writing it). */
function startCommand(): string {
  return `"$NODE" "$D/pkg/bin/redis-sync" start --config "$D/spec.json" --state-dir "$D/state" --skip-prechecks`;
}

/**
 * Writes spec.json from stdin and starts the daemon: a systemd unit (restart on failure, enabled at boot), or the
 * supervisor plus an @reboot crontab entry. Prints "pid N".
 */
export function startScript(taskDir: string, taskId: string, taskLabel: string, manager: 'systemd' | 'supervisor'): string {
  const write = `mkdir -p "$D/state"; cat > "$D/spec.json.new"; chmod 600 "$D/spec.json.new"; mv "$D/spec.json.new" "$D/spec.json"`;
  if (manager === 'systemd') {
    const unit = unitName(taskId);
    return `${PRELUDE(taskDir)}
${write}
D_ABS=$(cd "$D" && pwd)
cat > /etc/systemd/system/${unit}.new <<EOF
[Unit]
Description=redis-sync task ${taskLabel}
Wants=network-online.target
After=network-online.target

[Service]
# The spec (with its passwords) on standard input, from a 0600 file: never in this unit, argv or the environment.
ExecStart=$NODE $D_ABS/pkg/dist/provider/daemon/supervisor.js --task ${taskLabel} --state-dir $D_ABS/state -- --skip-prechecks
StandardInput=file:$D_ABS/spec.json
StandardOutput=null
Restart=on-failure
RestartSec=2
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
EOF
mv /etc/systemd/system/${unit}.new /etc/systemd/system/${unit}
systemctl daemon-reload
systemctl enable ${unit} >/dev/null 2>&1
systemctl restart ${unit}
sleep 0.3
echo "pid $(systemctl show -p MainPID --value ${unit})"`;
  }
  const tag = cronTag(taskId);
  return `${PRELUDE(taskDir)}
${write}
D_ABS=$(cd "$D" && pwd)
if command -v crontab >/dev/null; then
  { crontab -l 2>/dev/null | grep -vF ${sh(tag)} || true
    CMD="$NODE $D_ABS/pkg/bin/redis-sync start --config $D_ABS/spec.json --state-dir $D_ABS/state --skip-prechecks"
    printf '@reboot %s >/dev/null 2>&1 %s\\n' "$CMD" ${sh(tag)}
    printf '* * * * * %s --unless-stopped >/dev/null 2>&1 %s\\n' "$CMD" ${sh(tag)}; } | crontab -
fi
${startCommand()}`;
}

/** status.json and whether the daemon's pid (given, else daemon.pid's, else the status's) is alive, in one round trip. */
export function inspectScript(taskDir: string, taskId: string, pid: number | null): string {
  return `D=${taskDir}; S="$D/state/"${sh(taskId)}
P=${pid ?? ''}
[ -n "$P" ] || P=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$S/daemon.pid" 2>/dev/null | head -1)
[ -n "$P" ] || P=$(sed -n 's/^ *"pid": *\\([0-9]*\\).*/\\1/p' "$S/status.json" 2>/dev/null | head -1)
if [ -n "$P" ] && kill -0 "$P" 2>/dev/null; then echo "pid $P"; else echo "pid 0"; fi
echo "---"; cat "$S/status.json" 2>/dev/null || true`;
}

/** Stops the daemon gracefully (it saves its checkpoint); the unit stays enabled (it is the task's, until delete). */
export function stopScript(taskDir: string, taskId: string): string {
  const unit = unitName(taskId);
  return `D=${taskDir}; NODE=$(command -v node || true)
if [ -f /etc/systemd/system/${unit} ] && command -v systemctl >/dev/null; then systemctl stop ${unit} || true; fi
if [ -n "$NODE" ] && [ -x "$D/pkg/bin/redis-sync" ] && [ -d "$D/state/"${sh(taskId)} ]; then "$NODE" "$D/pkg/bin/redis-sync" stop ${sh(taskId)} --state-dir "$D/state" --timeout 30 >/dev/null 2>&1 || true; fi`;
}

/** Removes everything the task put on the host: unit, boot entry, directory (and the base dir when it is empty). */
export function removeScript(taskDir: string, taskId: string): string {
  const unit = unitName(taskId);
  return `D=${taskDir}
if [ -f /etc/systemd/system/${unit} ]; then systemctl disable --now ${unit} >/dev/null 2>&1 || true; rm -f /etc/systemd/system/${unit}; systemctl daemon-reload || true; fi
if command -v crontab >/dev/null && crontab -l 2>/dev/null | grep -qF ${sh(cronTag(taskId))}; then
  REST=$(crontab -l 2>/dev/null | grep -vF ${sh(cronTag(taskId))} || true)
  if [ -n "$REST" ]; then printf '%s\\n' "$REST" | crontab -; else crontab -r; fi
fi
rm -rf "$D"; rmdir "$(dirname "$D")" 2>/dev/null || true`;
}
