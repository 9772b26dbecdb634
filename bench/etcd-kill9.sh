#!/usr/bin/env bash
# kill -9 of an agent on a real etcd: prints the time from SIGKILL until the node is gone from
# another agent's GET /v1/peers (followed with the blocking ?index=&wait= query, no polling).
# Usage: bench/etcd-kill9.sh [NODE_TTL seconds = 30]
set -euo pipefail
TTL=${1:-30}
. "$(dirname "$0")/etcd-lib.sh"
start_etcd "$work"
write_conf "$work/muster.conf" "kill-$$" "$TTL"
start_agent 1 "$work/muster.conf" "$work"; observer=$AGENT_PORT; pids+=("$AGENT_PID")
start_agent 2 "$work/muster.conf" "$work"; victim=$AGENT_PID; pids+=("$AGENT_PID")
await_decision "$observer" "$work/d1.json"
until curl -s "127.0.0.1:$observer/v1/peers" | grep -q 'rabbit@node2'; do sleep 0.02; done
index=$(curl -s "127.0.0.1:$observer/v1/peers" | sed -n 's/.*"index" *: *\([0-9]*\).*/\1/p')
t0=$(now_ms)
kill -9 "$victim"; wait "$victim" 2>/dev/null || true
while :; do
  body=$(curl -s -m 200 "127.0.0.1:$observer/v1/peers?index=$index&wait=120s")
  index=$(echo "$body" | sed -n 's/.*"index" *: *\([0-9]*\).*/\1/p')
  echo "$body" | grep -q 'rabbit@node2' || break
done
echo "node_ttl=${TTL}s kill9_to_gone_from_peers_ms=$(( $(now_ms) - t0 ))"
