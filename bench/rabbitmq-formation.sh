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
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { echo "rabbitmq-server is not installed (scripts/install-test-deps)" >&2; exit 2; }
# Unit tests and every other IT are skipped (-Dtest names no class); progress lines go to stderr.
# The test JVM's temporary directories (RabbitMQ's and etcd's data) go under $work, which the
# cleanup removes even when that JVM is killed.
mkdir "$work/tmp"
if ! mvn -B -q -Dstyle.color=never -pl deploy -am verify \
  -Dtest=NoUnitTests -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=RabbitFormationBench -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dmuster.bench.rounds="$rounds" -Dmuster.bench.out="$work/table.txt" -DargLine="-Djava.io.tmpdir=$work/tmp" 2>&1 |
  tee "$work/mvn.log" | { grep --line-buffered -E '\[(bench|e2e|phases)\]' >&2 || true; }; then
  tail -60 "$work/mvn.log" >&2
  exit 1
fi
[ -s "$work/table.txt" ] || { tail -60 "$work/mvn.log" >&2; echo "no table written" >&2; exit 1; }
echo
cat "$work/table.txt"
