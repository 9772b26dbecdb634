#!/usr/bin/env bash
# How often three RabbitMQ 3.10 nodes started at one instant, each under `muster exec` with the etcd
# backend, fail to form one cluster, over TRIALS trials, in one join mode:
#   shipped    deploy/rabbitmq/muster.conf as shipped (builtin:rabbitmq-peer-discovery: joiners
#              boot beside the seed and wait in RabbitMQ's peer discovery lock; join_when =
#              immediately)
#   classic    builtin:rabbitmq (classic_config lines) with join_when = immediately: joiners boot
#              beside the seed and join it as soon as its tables exist (the RabbitMQ 3.10 race:
#              table_attributes_mismatch, incompatible_feature_flags)
#   seed-ready builtin:rabbitmq with join_when = seed_ready: joiners start once the seed's AMQP
#              port opens (the previous default)
# Prints each trial, the failure count with what the nodes logged, and the median time of the
# trials that formed; the logs of failed trials are kept under $FAILURES_DIR (default /tmp). The fixtures are deploy's test code (RabbitFormations); this builds the
# reactor and runs RabbitJoinRaceBench through failsafe.
#   bench/rabbitmq-join-race.sh [TRIALS=30] [MODE=shipped]     (about 20-30 s per trial on 2 cores)
set -euo pipefail
trials=${1:-30}
mode=${2:-shipped}
case $mode in
  shipped) props=() ;;
  classic) props=(-Dmuster.e2e.template=builtin:rabbitmq -Dmuster.e2e.join_when=immediately) ;;
  seed-ready) props=(-Dmuster.e2e.template=builtin:rabbitmq -Dmuster.e2e.join_when=seed_ready) ;;
  *) echo "MODE: shipped, classic or seed-ready, not $mode" >&2; exit 2 ;;
esac
BENCH_BUILDS=1 . "$(dirname "$0")/etcd-lib.sh"
# A failed trial's logs (broker log, agent output per node) are kept here, outside $work.
failures=${FAILURES_DIR:-${TMPDIR:-/tmp}}/muster-join-race-$(date +%Y%m%dT%H%M%S)
run_deploy_bench RabbitJoinRaceBench '\[race\]' -Dmuster.bench.trials="$trials" \
  -Dmuster.bench.failures="$failures" ${props[@]+"${props[@]}"}
if [ -d "$failures" ]; then echo "logs of the failed trials: $failures"; fi
