#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: Debian's redis-server, the npm packages, then builds.
set -euo pipefail
cd "$(dirname "$0")/.."
# tmux: the product tests drive `redis-sync status --watch` in a real terminal.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1 || ! command -v tmux >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools tmux >/dev/null
  # Debian's package starts a server on 6379; the project starts its own servers.
  $SUDO service redis-server stop >/dev/null 2>&1 || true
fi
# openssh-server and cron: the sync-host tests start a real sshd on a test host, and the daemon's start-at-boot entry
# there is a crontab line (the client, ssh, comes with openssh-server).
if [ ! -x /usr/sbin/sshd ] || ! command -v crontab >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openssh-server openssh-client cron >/dev/null
  # The tests start their own sshd in their own namespace, never the system's.
  $SUDO service ssh stop >/dev/null 2>&1 || true
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
