#!/usr/bin/env bash
# The demo: a 3-master source cluster and a destination Redis on loopback, a RedisSyncTask `pulumi up`-ed between
# them with a local file backend, its live status, writes that arrive, and verify.
#   bash scripts/demo.sh            start everything and run the demo
#   bash scripts/demo.sh destroy    `pulumi destroy` the task and stop the demo's servers
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DEMO="$ROOT/.demo"
SRC_PORTS=(27001 27002 27003)
SRC_PORT="${SRC_PORTS[0]}"
DST_PORT="${DEMO_DESTINATION_PORT:-26380}"
# Demo-only passwords, generated once and kept in .demo/ (git-ignored) so that destroy can reuse them.
mkdir -p "$DEMO"
[ -f "$DEMO/passwords" ] || printf 'SRC_PASS=%s\nDST_PASS=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$DEMO/passwords"
chmod 600 "$DEMO/passwords"
# shellcheck disable=SC1091
. "$DEMO/passwords"

bash scripts/setup.sh >/dev/null
export PATH="$(bash scripts/install-pulumi.sh):$ROOT/bin:$PATH"
export PULUMI_BACKEND_URL="file://$DEMO/backend" PULUMI_CONFIG_PASSPHRASE="redis-sync-demo" PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=1 REDIS_SYNC_STATE_DIR="$DEMO/state"
mkdir -p "$DEMO/backend"

cli() { REDISCLI_AUTH="$1" redis-cli -h 127.0.0.1 -p "$2" "${@:3}"; }

start_server() { # port password [extra redis-server args]
  mkdir -p "$DEMO/redis-$1"
  if cli "$2" "$1" ping >/dev/null 2>&1; then return; fi
  redis-server --bind 127.0.0.1 --port "$1" --requirepass "$2" --masterauth "$2" --dir "$DEMO/redis-$1" \
    --save '' --appendonly no --daemonize yes --pidfile "$DEMO/redis-$1/redis.pid" --logfile "$DEMO/redis-$1/redis.log" \
    --repl-diskless-sync-delay 0 --repl-backlog-size 64mb --repl-timeout 600 --enable-debug-command local "${@:3}"
  for _ in $(seq 1 100); do cli "$2" "$1" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis-server on port $1 did not start: see $DEMO/redis-$1/redis.log" >&2; exit 1
}

stop_server() { # port password
  cli "$2" "$1" shutdown nosave >/dev/null 2>&1 || true
}

if [ "${1:-up}" = destroy ]; then
  (cd "$ROOT" && pulumi destroy --yes --skip-preview --non-interactive -s demo && pulumi stack rm --yes --non-interactive demo) || true
  for p in "${SRC_PORTS[@]}"; do stop_server "$p" "$SRC_PASS"; done
  stop_server "$DST_PORT" "$DST_PASS"
  rm -rf "$DEMO"
  echo "demo destroyed: no daemon, no servers, no state left"
  exit 0
fi

echo "== 1. a 3-master source cluster (${SRC_PORTS[*]}) and a destination ($DST_PORT) on 127.0.0.1"
for p in "${SRC_PORTS[@]}"; do start_server "$p" "$SRC_PASS" --cluster-enabled yes --cluster-config-file "$DEMO/redis-$p/nodes.conf"; done
start_server "$DST_PORT" "$DST_PASS"
if ! cli "$SRC_PASS" "$SRC_PORT" cluster info | grep -q cluster_state:ok; then
  REDISCLI_AUTH="$SRC_PASS" redis-cli --cluster create $(printf '127.0.0.1:%s ' "${SRC_PORTS[@]}") --cluster-yes >/dev/null
  for _ in $(seq 1 100); do cli "$SRC_PASS" "$SRC_PORT" cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
fi
echo "== 2. sample data in the source: 200k strings over all slots, and lists, hashes, sorted sets, sets, streams"
SRC_PASS="$SRC_PASS" SRC_PORT="$SRC_PORT" node -e '
  const Redis = require("ioredis");
  const c = new Redis.Cluster([{ host: "127.0.0.1", port: Number(process.env.SRC_PORT) }], { redisOptions: { password: process.env.SRC_PASS } });
  (async () => {
    for (let base = 0; base < 200000; base += 5000) {
      const batch = [];
      for (let i = base; i < base + 5000; i++) batch.push(c.set(`demo:key:${i}`, `value-${i}-`.padEnd(64, "x")));
      await Promise.all(batch);
    }
    c.disconnect();
  })().catch((e) => { console.error(e.message); process.exit(1); });'
for i in $(seq 1 50); do echo "RPUSH demo:list:$i a b c"; echo "HSET demo:hash:$i f v$i"; echo "ZADD demo:zset:$i $i m$i"; echo "SADD demo:set:$i x y"; echo "XADD demo:stream:$i * n $i"; done \
  | REDISCLI_AUTH="$SRC_PASS" redis-cli -c -p "$SRC_PORT" >/dev/null
for p in "${SRC_PORTS[@]}"; do echo "  master $p: $(cli "$SRC_PASS" "$p" dbsize) keys"; done

echo "== 3. pulumi up (prechecks, then the daemon's full sync, then Synchronizing)"
pulumi stack select demo --create --non-interactive >/dev/null 2>&1 || pulumi stack init demo --non-interactive
pulumi config set sourceMode cluster -s demo
pulumi config set sourceNodes "[\"127.0.0.1:$SRC_PORT\"]" -s demo
pulumi config set destinationNodes "[\"127.0.0.1:$DST_PORT\"]" -s demo
pulumi config set --secret srcPass "$SRC_PASS" -s demo
pulumi config set --secret dstPass "$DST_PASS" -s demo
pulumi up --yes --skip-preview --non-interactive -s demo

TASK_ID="$(pulumi stack output taskId -s demo)"
echo "== 4. live status of task $TASK_ID (its id: the name and a suffix of its own)"
redis-sync status "$TASK_ID"
echo "== 5. writes on the source arrive at the destination"
cli "$SRC_PASS" "$SRC_PORT" -c set demo:hello "written at $(date +%T)" >/dev/null
cli "$SRC_PASS" "$SRC_PORT" -c incrby demo:counter 42 >/dev/null
sleep 1
echo "destination demo:hello   = $(cli "$DST_PASS" "$DST_PORT" get demo:hello)"
echo "destination demo:counter = $(cli "$DST_PASS" "$DST_PORT" get demo:counter)"
redis-sync status "$TASK_ID"
echo "== 6. verify: source and destination key by key"
cat > "$DEMO/task.json" <<EOF
{"name":"demo","id":"$TASK_ID","source":{"mode":"cluster","nodes":["127.0.0.1:$SRC_PORT"],"password":"$SRC_PASS"},
 "destination":{"mode":"standalone","nodes":["127.0.0.1:$DST_PORT"],"password":"$DST_PASS"}}
EOF
chmod 600 "$DEMO/task.json"
redis-sync verify --config "$DEMO/task.json"
cat <<EOF

The daemon keeps running after 'pulumi up'. From here:
  watch it:        REDIS_SYNC_STATE_DIR=$DEMO/state bin/redis-sync status $TASK_ID --watch
  from anywhere:   bin/redis-sync status --config $DEMO/task.json   (read from the destination)
  write more:      REDISCLI_AUTH=\$(grep SRC_PASS $DEMO/passwords | cut -d= -f2) redis-cli -c -p $SRC_PORT set k v
  tear it down:    bash scripts/demo.sh destroy      (pulumi destroy, then stops both servers)
EOF
