#!/usr/bin/env bash
# How long `muster exec` (etcd backend, real etcd) takes from its launch until its child starts:
# JVM start, config, etcd connection, registration, lock, decision, rendering. This is what Muster
# adds before a seed's server can begin to boot.
#   bench/exec-start.sh [RUNS]        (JVM flags from MUSTER_JAVA_OPTS; default: the sidecar's)
#   CDS=1 bench/exec-start.sh [RUNS]  (first makes a class-data archive with one extra run, then
#                                      every run maps it: -XX:SharedArchiveFile)
# Prints one line per run and the median, in ms.
set -euo pipefail
source "$(dirname "$0")/etcd-lib.sh"
runs=${1:-5}
start_etcd "$work"
opts=${MUSTER_JAVA_OPTS--Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=96m -XX:+ExitOnOutOfMemoryError}
if [ -n "${CDS:-}" ]; then
  write_conf "$work/cds.conf" cds 10
  MUSTER__NODE_NAME=rabbit@cds MUSTER__DATA_DIR="$work/cds" java $opts -XX:ArchiveClassesAtExit="$work/muster.jsa" \
    -jar "$JAR" exec --config "$work/cds.conf" -- true > "$work/cds.log" 2>&1 || true
  opts="$opts -XX:SharedArchiveFile=$work/muster.jsa"
fi
times=()
for i in $(seq 1 "$runs"); do
  write_conf "$work/m$i.conf" "exec$i" 10
  cat >> "$work/m$i.conf" <<CONF
muster.render.1.template = builtin:rabbitmq
muster.render.1.destination = $work/n$i/90-muster.conf
CONF
  t0=$(now_ms)
  MUSTER__NODE_NAME="rabbit@node$i" MUSTER__DATA_DIR="$work/n$i" \
    java $opts -jar "$JAR" \
    exec --config "$work/m$i.conf" -- sh -c "date +%s%N > $work/started$i" > "$work/exec$i.log" 2>&1 || true
  t=$(( $(cat "$work/started$i") / 1000000 - t0 ))
  times+=("$t")
  echo "run $i: child started after $t ms"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " ms over " NR " runs"}'
