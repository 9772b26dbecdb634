#!/usr/bin/env bash
# Failure detection on a real etcd: kill -9 of an agent in steady state -> the time until it is gone
# from a surviving agent's GET /v1/peers (followed with the blocking ?index=&wait= query, no
# polling), for several node_ttl values and several runs each.
# Per TTL one observer agent runs throughout; per run a victim agent starts, is seen by the
# observer, stays registered for a random TTL..2 TTL (so the kill falls at a random point of its
# keepalive cycle, a keepalive every TTL/3), and is killed with SIGKILL. Prints one table: per TTL
# the median/min/max in seconds and as a multiple of the TTL. Never fails on timing (a victim still
# listed 3 TTL + 60 s after the kill is reported as not gone).
#   bench/etcd-kill9.sh [RUNS=3] [NODE_TTL seconds ...=3 5 10]
set -euo pipefail
runs=${1:-3}
shift || true
ttls=("$@")
[ ${#ttls[@]} -gt 0 ] || ttls=(3 5 10)
. "$(dirname "$0")/etcd-lib.sh"
start_etcd "$work"

index_of() { sed -n 's/.*"index" *: *\([0-9]*\).*/\1/p' <<< "$1"; }

# await_listed PORT NODE: until the agent on PORT lists NODE (blocking queries, at most 120 s).
await_listed() {
  local body index deadline=$(( $(now_ms) + 120000 ))
  body=$(curl -s -m 10 "127.0.0.1:$1/v1/peers")
  until grep -q "\"$2\"" <<< "$body"; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$2 never listed by the agent on $1" >&2; return 1; }
    index=$(index_of "$body")
    body=$(curl -s -m 40 "127.0.0.1:$1/v1/peers?index=${index:-0}&wait=30s")
  done
}

declare -A secs ratio lost
for ttl in "${ttls[@]}"; do
  write_conf "$work/ttl$ttl.conf" "kill-$ttl-$$" "$ttl"
  start_agent "obs$ttl" "$work/ttl$ttl.conf" "$work"; observer=$AGENT_PORT; observer_pid=$AGENT_PID
  pids+=("$observer_pid")
  await_decision "$observer" "$work/obs$ttl.json"
  for run in $(seq 1 "$runs"); do
    start_agent "v${ttl}r$run" "$work/ttl$ttl.conf" "$work"; victim=$AGENT_PID; pids+=("$victim")
    name="rabbit@nodev${ttl}r$run"
    await_listed "$observer" "$name"
    # Registered for a random 1..2 TTL: a uniformly random point of the keepalive cycle.
    delay_ms=$(( ttl * 1000 + (RANDOM << 15 | RANDOM) % (ttl * 1000) ))
    nap "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    body=$(curl -s -m 10 "127.0.0.1:$observer/v1/peers")
    grep -q "\"$name\"" <<< "$body" || { echo "$name left the list before the kill" >&2; exit 1; }
    index=$(index_of "$body")
    t0=$(now_ms)
    kill -9 "$victim"; wait "$victim" 2>/dev/null || true; forget_pid "$victim"
    deadline=$(( t0 + (3 * ttl + 60) * 1000 ))
    gone=
    while [ "$(now_ms)" -lt "$deadline" ]; do
      body=$(curl -s -m $((3 * ttl + 70)) "127.0.0.1:$observer/v1/peers?index=${index:-0}&wait=$((3 * ttl + 60))s")
      index=$(index_of "$body")
      if [ -n "$body" ] && ! grep -q "\"$name\"" <<< "$body"; then gone=$(now_ms); break; fi
    done
    if [ -z "$gone" ]; then
      lost[$ttl]=$(( ${lost[$ttl]:-0} + 1 ))
      echo "node_ttl $ttl s, run $run: registered ${delay_ms} ms before the kill; still listed after $((3 * ttl + 60)) s" >&2
      continue
    fi
    ms=$((gone - t0))
    secs[$ttl]+=" $(awk -v ms=$ms 'BEGIN {printf "%.3f", ms / 1000}')"
    ratio[$ttl]+=" $(awk -v ms=$ms -v t="$ttl" 'BEGIN {printf "%.3f", ms / 1000 / t}')"
    echo "node_ttl $ttl s, run $run: registered ${delay_ms} ms before the kill; gone from the observer's list $ms ms after it" >&2
  done
  stop_pid "$observer_pid"
done

echo
echo "kill -9 of an agent in steady state -> gone from a surviving agent's GET /v1/peers ($runs run(s) per node_ttl)"
table_head node_ttl
for ttl in "${ttls[@]}"; do
  if [ -z "${secs[$ttl]:-}" ]; then
    printf '%-34s %s\n' "$ttl s" "no run detected the kill"
    continue
  fi
  # shellcheck disable=SC2086
  {
    FORMAT=%.2f table_row "$ttl s" "gone after (s)" ${secs[$ttl]}
    FORMAT=%.2f table_row "" "gone after (x node_ttl)" ${ratio[$ttl]}
  }
  [ -z "${lost[$ttl]:-}" ] || printf '%-34s %s\n' "" "${lost[$ttl]} run(s) still listed after 3 TTL + 60 s"
done
