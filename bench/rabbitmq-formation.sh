#!/usr/bin/env bash
# Formation with real RabbitMQ 3.10: three nodes booted in parallel until all three report one
# cluster of three (`rabbitmqctl cluster_status`), in three variants interleaved round by round
# (round 1: a, b, c; round 2: a, b, c; ...):
#   (a) standalone nodes, no clustering (the floor: three brokers booting on this machine),
#   (b) RabbitMQ's own etcd peer discovery plugin (rabbitmq_peer_discovery_etcd, its defaults),
#   (c) each node under `muster exec` with the etcd backend (deploy/rabbitmq/rabbitmq-server-muster,
#       join_when = seed_ready, sidecar JVM flags with a class-data archive made by one earlier run).
# One real etcd serves (b) and (c). Prints each variant's median/min/max and the medians of the
# per-round ratios (b)/(a) and (c)/(a); never fails on timing. The fixtures are deploy's test code
# (RabbitFormations, also used by RabbitFormationIT); this builds the reactor and runs
# RabbitFormationBench through failsafe (it is not in failsafe's default includes).
#   bench/rabbitmq-formation.sh [ROUNDS=3]       (about 1-2 minutes per round on 2 cores)
set -euo pipefail
rounds=${1:-3}
BENCH_BUILDS=1 . "$(dirname "$0")/etcd-lib.sh"
run_deploy_bench RabbitFormationBench '\[(bench|e2e|phases)\]' -Dmuster.bench.rounds="$rounds"
