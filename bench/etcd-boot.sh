#!/usr/bin/env bash
# Boots N Muster agents (separate JVMs, deploy/target/muster.jar) at one instant on a real etcd and
# prints the time from launch until every agent has answered POST /v1/formation with its decision,
# plus the number of seeds (must be 1). Usage: bench/etcd-boot.sh [N=3]
# JVM options: MUSTER_JAVA_OPTS (default -XX:+UseSerialGC -XX:TieredStopAtLevel=1).
set -euo pipefail
N=${1:-3}
. "$(dirname "$0")/etcd-lib.sh"
start_etcd "$work"
write_conf "$work/muster.conf" "boot-$$" 30
t0=$(now_ms)
ports=()
for i in $(seq 1 "$N"); do
  start_agent "$i" "$work/muster.conf" "$work"
  pids+=("$AGENT_PID"); ports+=("$AGENT_PORT")
done
waiters=()
for i in $(seq 1 "$N"); do
  ( await_decision "${ports[$((i-1))]}" "$work/d$i.json"; now_ms > "$work/t$i" ) &
  waiters+=($!)
done
wait "${waiters[@]}"
last=$(cat "$work"/t* | sort -n | tail -1)
seeds=$(grep -l '"action" *: *"seed"' "$work"/d*.json | wc -l)
joins=$(grep -l '"action" *: *"join"' "$work"/d*.json | wc -l)
echo "agents=$N all_decided_ms=$((last - t0)) seeds=$seeds joins=$joins"
[ "$seeds" -eq 1 ]
