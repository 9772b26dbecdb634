# Shared by the bench scripts: a real etcd (Debian's etcd-server) and Muster agents as separate
# processes on 127.0.0.1, /proc readings and a median/min/max table. Sourcing it checks the jar
# (unless BENCH_BUILDS is set: the script builds it), makes $work and a cleanup trap, run on exit,
# Ctrl-C and SIGTERM alike, that kills what was started and removes $work (kept when KEEP=1). What
# was started is found two ways: $ETCD_PID and ${pids[@]}, and every process that inherited this
# run's MUSTER_BENCH_TAG (also what those started: JVMs' children, RabbitMQ's beam, epmd), each
# killed by its PID.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JAR=deploy/target/muster.jar
if [ -z "${BENCH_BUILDS:-}" ] && [ ! -f "$JAR" ]; then
  echo "build first: mvn -B -q -DskipTests package" >&2
  exit 2
fi
work=$(mktemp -d)
export MUSTER_BENCH_TAG=$work
pids=()
ETCD_PID=
# pgid_of PID: its process group (field 5 of /proc/PID/stat).
pgid_of() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  set -- $stat
  echo "$3"
}
BENCH_PGID=$(pgid_of $$)
# PIDs of live processes (not this shell) of this script's process group whose environment holds
# this run's tag; no other process's environment is read.
tagged() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" != $$ ] && [ "$(pgid_of "$p")" = "$BENCH_PGID" ] || continue
    if grep -qzxF "MUSTER_BENCH_TAG=$work" "/proc/$p/environ" 2>/dev/null; then echo "$p"; fi
  done
}
cleanup() {
  local rc=$? left
  set +e
  trap - INT TERM
  # shellcheck disable=SC2046
  # (waiting for each job by PID keeps bash from reporting every one as "Killed")
  { kill -9 "${pids[@]}" $ETCD_PID $(tagged); wait $(jobs -p); } 2>/dev/null
  left=$(tagged)
  [ -z "$left" ] || echo "still running after cleanup:" $left >&2
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

# await_decision PORT OUTFILE: blocks until the agent's API gives its decision (at most 300 s).
await_decision() {
  local deadline=$(( $(now_ms) + 300000 ))
  until curl -s -m 70 -XPOST "127.0.0.1:$1/v1/formation?wait=60s" -o "$2" -w '%{http_code}' 2>/dev/null | grep -q 200; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "no decision from the agent on $1 within 300 s" >&2; return 1; }
    sleep 0.02
  done
}

# forget_pid PID: drops PID from ${pids[@]} once it has been waited for (so cleanup never signals
# a PID the system may have reused).
forget_pid() {
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# stop_pid PID [SECONDS=30]: SIGTERM, then SIGKILL if it has not exited within SECONDS; reaps it.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < ${2:-30} * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# alive PID: the process exists and is not a zombie.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# await_live PORT PID [SECONDS=120]: until GET /health/live on PORT answers 200; fails when PID
# exits first or after SECONDS.
await_live() {
  local deadline=$(( $(now_ms) + ${3:-120} * 1000 ))
  until [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$1/health/live")" = 200 ]; do
    alive "$2" || { echo "process $2 exited before /health/live on $1 answered" >&2; return 1; }
    [ "$(now_ms)" -lt "$deadline" ] || { echo "no /health/live on $1 within ${3:-120} s" >&2; return 1; }
    sleep 0.01
  done
}

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID: user + system CPU time so far (utime + stime of /proc/PID/stat), in clock ticks.
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat")
  # shellcheck disable=SC2086
  set -- ${stat##*) }   # fields from 3 (state) on: utime is field 14, stime 15
  echo $(( ${12} + ${13} ))
}

# rss_kib PID: resident set (VmRSS), KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# pss_kib PID: proportional set (shared pages split among their users, as the class-data archive's
# are), KiB.
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }

# The JVM under PID: itself, or the first descendant named java (a launcher script's child).
jvm_of() {
  local pid=$1 child
  while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != java ]; do
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')
    [ -n "$child" ] || break
    pid=$child
  done
  echo "$pid"
}

# unpack_dist: the distribution tarball unpacked under $work; sets DIST_HOME.
unpack_dist() {
  local tarball
  tarball=$(ls deploy/target/muster-*.tar.gz 2>/dev/null | head -1)
  [ -n "$tarball" ] || { echo "no deploy/target/muster-*.tar.gz: mvn -B -q -DskipTests package" >&2; exit 2; }
  mkdir -p "$work/dist"
  tar xzf "$tarball" -C "$work/dist"
  DIST_HOME=$(ls -d "$work"/dist/muster-*)
}

# Tables. table_row LABEL FIGURE VALUE...: one row with the values' median, min and max (median of
# an even count: the mean of the middle two); FORMAT (printf, default %.0f) for the numbers.
table_head() {
  printf '%-40s %-26s %5s %9s %9s %9s\n' "${1:-configuration}" "${2:-figure}" runs median min max
}
table_row() {
  local label=$1 figure=$2; shift 2
  printf '%s\n' "$@" | sort -g | awk -v label="$label" -v figure="$figure" -v fmt="${FORMAT:-%.0f}" '
    { v[NR] = $1 }
    END {
      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%-40s %-26s %5d %9s %9s %9s\n", label, figure, NR,
        sprintf(fmt, med), sprintf(fmt, v[1]), sprintf(fmt, v[NR])
    }'
}

# nap SECONDS: sleep that a signal (Ctrl-C) interrupts at once (a trap waits for a foreground sleep).
nap() {
  sleep "$1" &
  wait $! || true
}

# run_deploy_bench CLASS PROGRESS_REGEX [-Dkey=value ...]: builds the reactor and runs the deploy
# module's benchmark class CLASS through failsafe (unit tests and every other IT skipped), with the
# test JVM's temporary directories under $work (removed even when that JVM is killed) and the
# table it writes at $work/table.txt; lines matching PROGRESS_REGEX go to stderr as they come.
# Prints the table; exits 1 (showing Maven's tail) when the run or the table fails.
run_deploy_bench() {
  local class=$1 progress=$2
  shift 2
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ||
    { echo "rabbitmq-server is not installed (scripts/install-test-deps)" >&2; exit 2; }
  mkdir -p "$work/tmp"
  if ! mvn -B -q -Dstyle.color=never -pl deploy -am verify \
    -Dtest=NoUnitTests -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test="$class" -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dmuster.bench.out="$work/table.txt" -DargLine="-Djava.io.tmpdir=$work/tmp" "$@" 2>&1 |
    tee "$work/mvn.log" | { grep --line-buffered -E "$progress" >&2 || true; }; then
    tail -60 "$work/mvn.log" >&2
    exit 1
  fi
  [ -s "$work/table.txt" ] || { tail -60 "$work/mvn.log" >&2; echo "no table written" >&2; exit 1; }
  echo
  cat "$work/table.txt"
}
