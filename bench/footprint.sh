#!/usr/bin/env bash
# Footprint of one agent: start-up time, idle memory and idle CPU, in four configurations:
#   backend  classic_config on deploy/examples/classic.conf (README's first command; no external
#            service, the agent keeps waiting for its two absent peers) or etcd on
#            deploy/examples/etcd.conf pointed at a real etcd this script starts (a lone agent: it
#            seeds, then keeps its lease alive and watches);
#   launcher `java -jar deploy/target/muster.jar` (the JVM's defaults, as README's first command),
#            the distribution tarball's bin/muster as shipped (its sidecar flags and the class-data
#            archive its first run makes: one priming run before the measured ones), or
#            `dist-nocds`, bin/muster with MUSTER_CDS=off (no archive), or `dist-alt`, bin/muster
#            with MUSTER_JAVA_OPTS=$ALT_JAVA_OPTS (and MALLOC_ARENA_MAX=$ALT_MALLOC_ARENA_MAX when
#            set): an A/B of JVM flags, interleaved. MUSTER_JAVA_OPTS replaces the flags of all.
#            ALT_JAVA_HOME runs dist-alt on another Java, ALT_CDS sets its MUSTER_CDS, ALT_ENV adds
#            environment (e.g. MUSTER__REASSERT_INTERVAL=30s, a config override), and
#            ALT_PRIME_JAVA_OPTS primes it once with those flags before the measured runs, e.g.
#            Java 25's AOT cache: ALT_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ALT_CDS=off
#            ALT_PRIME_JAVA_OPTS="... -XX:AOTCacheOutput=/tmp/m.aot" ALT_JAVA_OPTS="... -XX:AOTCache=/tmp/m.aot".
# Per run and configuration: launch -> GET /health/live answering 200 (start-up), then after
# SETTLE seconds (default 5: start-up's tail is not idle) an idle window of IDLE_SECONDS, over which
# the JVM's utime+stime (/proc/PID/stat) gives idle CPU (% of one core, CPU-ms per minute); VmRSS
# and Pss (smaps_rollup) at the window's end are the idle RSS and PSS. Configurations are interleaved run by run. Prints one table
# (median/min/max); never fails on timing.
#   bench/footprint.sh [RUNS=5] [IDLE_SECONDS=60]     LAUNCHERS="jar dist" (default; or dist-nocds)
#   JVM_METRICS="on off" adds an A/B of muster.metrics.jvm (the JVM/process metric binders), each
#   run interleaved; default "on" only.
set -euo pipefail
runs=${1:-5}
idle=${2:-60}
settle=${SETTLE:-5}
. "$(dirname "$0")/etcd-lib.sh"
unpack_dist
start_etcd "$work"

declare -A start rss pss cpu_pct cpu_min
configs=()
for launcher in ${LAUNCHERS:-jar dist}; do
  for backend in classic etcd; do
    for jm in ${JVM_METRICS:-on}; do configs+=("$backend/$launcher/$jm"); done
  done
done

label() {
  local backend=${1%%/*} rest=${1#*/}
  local launcher=${rest%/*} jm=${rest#*/}
  [ "$backend" = classic ] && backend=classic_config
  case $launcher in
    jar) launcher="java -jar" ;;
    dist) launcher=bin/muster ;;
    dist-alt) launcher="bin/muster, ALT_JAVA_OPTS" ;;
    *) launcher="bin/muster, no archive" ;;
  esac
  [ "${JVM_METRICS:-on}" = on ] && jm="" || jm=", JVM metrics $jm"
  echo "$backend, $launcher$jm"
}

# measure CONFIG RUN: appends this run's figures to the arrays above.
measure() {
  local config=$1 run=$2 backend=${1%%/*} rest=${1#*/}
  local launcher=${rest%/*} jm=${rest#*/}
  local tag=${backend}-${launcher}-${jm}-$run conf api t0 t1 pid jvm c0 c1 w0 w1
  if [ "$backend" = classic ]; then
    conf=deploy/examples/classic.conf
  else
    conf=$work/$tag.conf
    sed -e "s/^cluster_formation.etcd.endpoints.1 = .*/cluster_formation.etcd.endpoints.1 = 127.0.0.1:$ETCD_PORT/" \
      -e "s/^cluster_formation.etcd.cluster_name = .*/cluster_formation.etcd.cluster_name = $tag/" \
      deploy/examples/etcd.conf > "$conf"
  fi
  local cmd=(java -jar "$JAR") cds=auto
  [ "$launcher" = jar ] || cmd=("$DIST_HOME/bin/muster")
  [ "$launcher" = dist-nocds ] && cds=off
  local opts=${MUSTER_JAVA_OPTS:-} arenas=${MALLOC_ARENA_MAX:-} jhome=${JAVA_HOME:-} extra=()
  if [ "$launcher" = dist-alt ]; then
    read -r -a extra <<< "${ALT_ENV:-}"
    opts=${ALT_JAVA_OPTS:?dist-alt needs ALT_JAVA_OPTS}
    arenas=${ALT_MALLOC_ARENA_MAX:-$arenas}
    jhome=${ALT_JAVA_HOME:-$jhome}
    cds=${ALT_CDS:-$cds}
  fi
  api=$(free_port)
  t0=$(now_ms)
  env "${extra[@]}" JAVA_HOME="$jhome" MUSTER_JAVA_OPTS="$opts" MALLOC_ARENA_MAX="$arenas" \
  MUSTER_CDS=$cds MUSTER__METRICS__JVM=$([ "$jm" = off ] && echo false || echo true) \
  MUSTER__API__PORT=$api MUSTER__PEER__PORT=$(free_port) MUSTER__DATA_DIR="$work/data-$tag" \
    "${cmd[@]}" run --config "$conf" > "$work/$tag.log" 2>&1 &
  pid=$!; pids+=("$pid")
  await_live "$api" "$pid"
  t1=$(now_ms)
  jvm=$(jvm_of "$pid")
  nap "$settle"
  w0=$(now_ms); c0=$(cpu_ticks "$jvm")
  nap "$idle"
  c1=$(cpu_ticks "$jvm"); w1=$(now_ms)
  alive "$jvm" || { echo "$tag: the agent exited during the idle window (see $work/$tag.log)" >&2; KEEP=1; exit 1; }
  start[$config]+=" $((t1 - t0))"
  rss[$config]+=" $(awk -v k="$(rss_kib "$jvm")" 'BEGIN {printf "%.1f", k / 1024}')"
  pss[$config]+=" $(awk -v k="$(pss_kib "$jvm")" 'BEGIN {printf "%.1f", k / 1024}')"
  cpu_pct[$config]+=" $(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((w1 - w0)) 'BEGIN {printf "%.3f", t / hz * 1000 / ms * 100}')"
  cpu_min[$config]+=" $(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((w1 - w0)) 'BEGIN {printf "%.1f", t / hz * 1000 / ms * 60000}')"
  echo "run $run, $(label "$config"): start-up $((t1 - t0)) ms, idle CPU $((c1 - c0)) ticks in $((w1 - w0)) ms, RSS $(rss_kib "$jvm") KiB" >&2
  stop_pid "$pid"
}

# prime NAME STOP_SECONDS [VAR=value ...]: one run of bin/muster on the classic_config example, with
# that environment, until /health/live answers, then a stop that may take STOP_SECONDS (a JVM that
# writes an archive or cache at exit); its output goes to $work/NAME.log.
prime() {
  local name=$1 stop=$2 api
  shift 2
  api=$(free_port)
  env "$@" MUSTER__API__PORT="$api" MUSTER__PEER__PORT="$(free_port)" \
    MUSTER__DATA_DIR="$work/data-$name" \
    "$DIST_HOME/bin/muster" run --config deploy/examples/classic.conf > "$work/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  await_live "$api" "$pid"
  stop_pid "$pid" "$stop"
}

# bin/muster as shipped makes its class-data archive on its first run: prime it, as a node's first
# start would, so the measured runs are the steady state.
case " ${LAUNCHERS:-jar dist} " in
  *" dist "* | *" dist-alt "*)
    prime prime 60
    "$DIST_HOME/bin/muster" -V > /dev/null
    [ -f "$DIST_HOME/lib/muster.jsa" ] || { echo "bin/muster made no archive (see $work/prime.log)" >&2; exit 1; }
    echo "primed: $DIST_HOME/lib/muster.jsa ($(du -h "$DIST_HOME/lib/muster.jsa" | cut -f1))" >&2
    ;;
esac
# dist-alt's own priming run (e.g. a training run that writes Java 25's AOT cache at exit).
case " ${LAUNCHERS:-jar dist} " in
  *" dist-alt "*)
    if [ -n "${ALT_PRIME_JAVA_OPTS:-}" ]; then
      prime prime-alt 120 JAVA_HOME="${ALT_JAVA_HOME:-${JAVA_HOME:-}}" MUSTER_CDS="${ALT_CDS:-auto}" \
        MUSTER_JAVA_OPTS="$ALT_PRIME_JAVA_OPTS" MALLOC_ARENA_MAX="${ALT_MALLOC_ARENA_MAX:-2}"
      echo "primed dist-alt with ALT_PRIME_JAVA_OPTS (see $work/prime-alt.log)" >&2
    fi
    ;;
esac

for run in $(seq 1 "$runs"); do
  for config in "${configs[@]}"; do measure "$config" "$run"; done
done

echo
echo "Agent footprint: $runs run(s) per configuration, interleaved; idle window ${idle} s starting ${settle} s after /health/live"
shipped=$(sed -n 's/^opts=${MUSTER_JAVA_OPTS:-\(.*\)}$/\1/p' "$DIST_HOME/bin/muster")
echo "($(java -version 2>&1 | head -1); bin/muster flags: ${MUSTER_JAVA_OPTS:-$shipped}${ALT_JAVA_HOME:+; dist-alt on $ALT_JAVA_HOME}${ALT_ENV:+; dist-alt with $ALT_ENV}${ALT_JAVA_OPTS:+; ALT_JAVA_OPTS: $ALT_JAVA_OPTS}${ALT_MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX=$ALT_MALLOC_ARENA_MAX}; $(nproc) cores)"
table_head
for config in "${configs[@]}"; do
  l=$(label "$config")
  # shellcheck disable=SC2086
  {
    table_row "$l" "start-up to live (ms)" ${start[$config]}
    FORMAT=%.1f table_row "" "idle RSS (MiB)" ${rss[$config]}
    FORMAT=%.1f table_row "" "idle PSS (MiB)" ${pss[$config]}
    FORMAT=%.2f table_row "" "idle CPU (% of one core)" ${cpu_pct[$config]}
    table_row "" "idle CPU (CPU-ms/min)" ${cpu_min[$config]}
  }
done
