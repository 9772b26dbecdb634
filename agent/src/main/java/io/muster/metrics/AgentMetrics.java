package io.muster.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
            // buckets an operator can alert on: a bare boot decides within seconds, a wait for
            // peers or a lock within minutes
            .serviceLevelObjectives(DECISION_BUCKETS)
            .register(registry);
  }

  private static final Duration[] DECISION_BUCKETS = {
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(2),
    Duration.ofMinutes(5),
    Duration.ofMinutes(10)
  };

  private final Timer lockWait =
      Timer.builder("muster.lock.wait")
          .description("Time from asking for the formation lock to holding it")
          .serviceLevelObjectives(DECISION_BUCKETS)
          .register(registry);

  private final Counter rendersOk =
      Counter.builder("muster.render")
          .tag("outcome", "success")
          .description("Rendered files written (and their command run)")
          .register(registry);

  private final Counter rendersFailed =
      Counter.builder("muster.render")
          .tag("outcome", "failure")
          .description("Rendered files written (and their command run)")
          .register(registry);

  /**
   * One step of {@code muster exec}'s supervision: started, ready, not_ready (restarted with a new
   * decision), withdrawn, died, stopped.
   */
  public void exec(String event) {
    Counter.builder("muster.exec")
        .tag("event", event)
        .description("What muster exec did with its child, by event")
        .register(registry)
        .increment();
  }

  public void lockWaited(Duration waited) {
    lockWait.record(waited);
  }

  public void rendered(boolean ok) {
    (ok ? rendersOk : rendersFailed).increment();
  }

  /** {@code muster_build_info{version,backend} 1}: what runs, for dashboards and alerts. */
  public void buildInfo(String version, String backend) {
    Gauge.builder("muster.build.info", () -> 1.0)
        .tag("version", version)
        .tag("backend", backend)
        .description("1, tagged with the agent's version and backend")
        .register(registry);
  }

  /**
   * One gauge per value of {@code values}, tagged {@code tag=value}: 1 for the value {@code
   * current} returns now, 0 for the others (Prometheus's way of exporting a state).
   */
  public void state(String name, String tag, List<String> values, Supplier<String> current) {
    for (String v : values) {
      Gauge.builder(name, () -> v.equals(current.get()) ? 1 : 0)
          .tag(tag, v)
          .description("1 for the agent's current " + tag)
          .register(registry);
    }
  }

  /** When discovery last succeeded, in seconds since the epoch (0: never). */
  public void lastDiscovery(Supplier<Instant> lastSuccess) {
    Gauge.builder(
            "muster.discovery.last.success.timestamp",
            () -> {
              Instant at = lastSuccess.get();
              return at == null ? 0 : at.toEpochMilli() / 1000.0;
            })
        .baseUnit("seconds")
        .description("When the backend last answered a discovery, as a Unix time")
        .register(registry);
  }

  /**
   * The JVM's and the process's own metrics (memory pools, GC, threads, classes, CPU, uptime, file
   * descriptors), from Micrometer's maintained binders.
   */
  public void jvm() {
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
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

  /** The GC binder listens to the JVM's GC notifications until closed. */
  private JvmGcMetrics gc;

  /** Stops listening to the JVM (an agent closed inside a longer-lived JVM, as in tests). */
  public void close() {
    if (gc != null) {
      gc.close();
    }
    registry.close();
  }

  /** Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}
