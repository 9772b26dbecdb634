package io.muster.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** The agent's Prometheus metrics, exposed on {@code GET /metrics}. */
public final class AgentMetrics {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter discoveryOk;
  private final Counter discoveryFailed;
  private final Counter probeRounds;
  private final Timer decisionTime;

  public AgentMetrics() {
    discoveryOk =
        Counter.builder("muster.discovery")
            .tag("outcome", "success")
            .description("Discovery requests to the backend")
            .register(registry);
    discoveryFailed =
        Counter.builder("muster.discovery")
            .tag("outcome", "failure")
            .description("Discovery requests to the backend")
            .register(registry);
    probeRounds =
        Counter.builder("muster.peer.probe.rounds")
            .description("Rounds of GET /v1/node to peers' agents")
            .register(registry);
    decisionTime =
        Timer.builder("muster.formation.decision")
            .description("Time from agent start to a formation decision")
            .register(registry);
  }

  /** Members the backend no longer knows (node cleanup's candidates of its last pass). */
  public void cleanupCandidates(Supplier<Number> candidates) {
    Gauge.builder("muster.cleanup.candidates", candidates)
        .description("Cluster members the backend no longer knows, at the last cleanup pass")
        .register(registry);
  }

  /** Registers gauges read on every scrape. */
  public void gauges(Supplier<Number> peers, Supplier<Number> stale, Supplier<Number> formed) {
    Gauge.builder("muster.peers", peers).description("Nodes in the peer list").register(registry);
    Gauge.builder("muster.peers.stale", stale)
        .description("1 when the peer list is the last good one and the latest discovery failed")
        .register(registry);
    Gauge.builder("muster.formed", formed)
        .description("1 when this node is a member of a formed cluster")
        .register(registry);
  }

  public void discovery(boolean ok) {
    (ok ? discoveryOk : discoveryFailed).increment();
  }

  public void probeRound() {
    probeRounds.increment();
  }

  public void decided(Duration sinceStart) {
    decisionTime.record(sinceStart);
  }

  /** Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}
