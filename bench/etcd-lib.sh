# Shared by the etcd bench scripts: a real etcd (Debian's etcd-server) and Muster agents as
# separate processes on 127.0.0.1. Sourcing it checks the jar, makes $work and a cleanup trap that
# kills what was started ($ETCD_PID, ${pids[@]}) and removes $work (kept when KEEP=1).

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JAR=deploy/target/muster.jar
[ -f "$JAR" ] || { echo "build first: mvn -B -q -DskipTests package" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() {
  { kill -9 "${pids[@]}" "${ETCD_PID:-}"; wait; } 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  local p
  while :; do
    p=$(( (RANDOM << 15 | RANDOM) % 40000 + 20000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return; fi
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_etcd() {
  local dir=$1
  ETCD_PORT=$(free_port); local peer; peer=$(free_port)
  etcd --name b1 --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "b1=http://127.0.0.1:$peer" --initial-cluster-state new \
    --heartbeat-interval 25 --election-timeout 250 > "$dir/etcd.log" 2>&1 &
  ETCD_PID=$!
  until curl -s -m 1 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; do sleep 0.02; done
}

# write_conf FILE CLUSTER NODE_TTL
write_conf() {
  cat > "$1" <<CONF
cluster_formation.peer_discovery_backend = etcd
cluster_formation.etcd.endpoints.1 = 127.0.0.1:$ETCD_PORT
cluster_formation.etcd.cluster_name = $2
cluster_formation.etcd.node_ttl = $3
muster.api.port = 0
CONF
}

# start_agent I CONF WORKDIR -> sets AGENT_PID, AGENT_PORT
start_agent() {
  local i=$1 conf=$2 dir=$3
  AGENT_PORT=$(free_port)
  MUSTER__NODE_NAME="rabbit@node$i" MUSTER__API__PORT=$AGENT_PORT MUSTER__DATA_DIR="$dir/n$i" \
    java ${MUSTER_JAVA_OPTS--XX:+UseSerialGC -XX:TieredStopAtLevel=1} -jar "$JAR" run --config "$conf" \
    > "$dir/agent$i.log" 2>&1 &
  AGENT_PID=$!
}

# await_decision PORT OUTFILE: blocks until the agent's API gives its decision.
await_decision() {
  until curl -s -m 70 -XPOST "127.0.0.1:$1/v1/formation?wait=60s" -o "$2" -w '%{http_code}' 2>/dev/null | grep -q 200; do
    sleep 0.02
  done
}
