#!/usr/bin/env bash
# Builds real servers of other versions from ../shared/redis-src (or $REDIS_SRC_DIR) for the version-compatibility
# tests, once per machine: each binary is cached as ~/.cache/pulumi-redis-sync/redis-<ver>/redis-server.
# Usage: build-redis.sh 2.8.24 4.0.14 6.0.20 7.4.1 valkey-8.0.1   (prints one "<ver> <path>" line per version)
# Exits 3 when the sources are absent, so callers can skip with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${REDIS_SRC_DIR:-$(cd .. && pwd)/shared/redis-src}"
CACHE="${REDIS_SYNC_CACHE:-$HOME/.cache/pulumi-redis-sync}"
[ -d "$SRC" ] || { echo "no Redis sources at $SRC" >&2; exit 3; }
mkdir -p "$CACHE"
# A fresh machine may lack a compiler: installed as setup.sh installs redis-server.
if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq build-essential >&2
fi
for ver in "$@"; do
  case "$ver" in valkey-*) name="$ver"; bin=valkey-server ;; *) name="redis-$ver"; bin=redis-server ;; esac
  out="$CACHE/redis-$ver"
  tarball="$SRC/$name.tar.gz"
  [ -f "$tarball" ] || { echo "no $tarball" >&2; exit 3; }
  # One build per machine even when several test processes ask at once.
  exec 9>"$CACHE/.build-$ver.lock"
  flock 9
  if [ ! -x "$out/redis-server" ]; then
    work="$(mktemp -d)"
    tar xzf "$tarball" -C "$work"
    echo "building $name (make -j2, once per machine)" >&2
    # libc malloc: jemalloc's bundled copy does not build with every gcc; -fcommon: gcc 10+ rejects 2.8's tentative
    # definitions; both change nothing the tests look at.
    (cd "$work/$name" && make -j2 MALLOC=libc BUILD_TLS=no CFLAGS=-fcommon >"$work/build.log" 2>&1) || {
      tail -30 "$work/build.log" >&2; rm -rf "$work"; exit 1; }
    mkdir -p "$out.tmp"
    cp "$work/$name/src/$bin" "$out.tmp/redis-server"
    rm -rf "$out" && mv "$out.tmp" "$out"
    rm -rf "$work"
  fi
  exec 9>&-
  echo "$ver $out/redis-server"
done
