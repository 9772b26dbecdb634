#!/usr/bin/env bash
# How long `muster exec` (etcd backend, real etcd) takes from its launch until its child starts:
# JVM start, config, etcd connection, registration, lock, decision, rendering. This is what Muster
# adds before a seed's server can begin to boot.
#   bench/exec-start.sh [RUNS]        (JVM flags from MUSTER_JAVA_OPTS; default: the sidecar's)
# Prints one line per run and the median, in ms.
set -euo pipefail
source "$(dirname "$0")/etcd-lib.sh"
runs=${1:-5}
start_etcd "$work"
times=()
for i in $(seq 1 "$runs"); do
  write_conf "$work/m$i.conf" "exec$i" 10
  cat >> "$work/m$i.conf" <<CONF
muster.render.1.template = builtin:rabbitmq
muster.render.1.destination = $work/n$i/90-muster.conf
CONF
  t0=$(now_ms)
  MUSTER__NODE_NAME="rabbit@node$i" MUSTER__DATA_DIR="$work/n$i" \
    java ${MUSTER_JAVA_OPTS--Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k} -jar "$JAR" \
    exec --config "$work/m$i.conf" -- sh -c "date +%s%N > $work/started$i" > "$work/exec$i.log" 2>&1 || true
  t=$(( $(cat "$work/started$i") / 1000000 - t0 ))
  times+=("$t")
  echo "run $i: child started after $t ms"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " ms over " NR " runs"}'
