package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.testing.Timing;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Marker, session and discovery edge cases against the emulator, below the engine. */
class ConsulMarkersIT {

  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");

  private ConsulEmulator consul;
  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    consul = new ConsulEmulator(null).withFilteredToken("filtered-token").start();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close();
    consul.close();
  }

  private ConsulSettings settings(NodeName node, String extra) {
    String conf =
        "muster.node_name = "
            + node
            + "\ncluster_formation.peer_discovery_backend = consul\n"
            + "cluster_formation.consul.host = 127.0.0.1\ncluster_formation.consul.port = "
            + consul.port()
            + "\ncluster_formation.consul.svc_addr_auto = true\n"
            + extra;
    return ConsulSettings.from(AgentConfig.fromText("t.conf", conf, Map.of()).config(), node);
  }

  private ConsulHttp http(NodeName node) {
    return new ConsulHttp(settings(node, ""), vertx);
  }

  private String session(ConsulHttp http, String behavior) throws Exception {
    return new SessionHolder(http, vertx, "t", Duration.ofSeconds(10), behavior, why -> {})
        .id()
        .get(10, TimeUnit.SECONDS);
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  /**
   * Issue 18, defect 9: a formed write whose answer was lost is retried with a new formed_at (the
   * node completes again). It compared the whole JSON value, so the retry failed for good and
   * Completion looped without bound; the same cluster id and seed now count as done. Another
   * cluster's formed marker still fails.
   */
  @Test
  void aRetriedFormedWriteSucceedsButNeverForAnotherCluster() throws Exception {
    ConsulMarkers seed = new ConsulMarkers(http(B), settings(B, ""));
    assertThat(get(seed.read())).isEqualTo(new Marker.None());
    String bSession = session(http(B), "delete");
    get(seed.markForming(new Marker.Forming(B, "c-b"), bSession));
    Marker.Formed first = new Marker.Formed(B, "c-b", Instant.parse("2026-11-22T00:00:00Z"));
    get(seed.markFormed(first, bSession));
    Marker.Formed retry = new Marker.Formed(B, "c-b", Instant.parse("2026-11-22T00:00:05Z"));
    get(seed.markFormed(retry, bSession)); // threw "could not write the formed marker" before
    assertThat(get(seed.read())).as("the first write stays").isEqualTo(first);
    Marker.Formed other = new Marker.Formed(A, "c-a", Instant.parse("2026-11-22T00:00:06Z"));
    assertThatThrownBy(() -> get(seed.markFormed(other, bSession)))
        .hasMessageContaining("could not write the formed marker");
  }

  @Test
  void aDecisionTakenOnAStaleReadCannotOverwriteTheFormedMarker() throws Exception {
    ConsulMarkers late = new ConsulMarkers(http(A), settings(A, ""));
    ConsulMarkers seed = new ConsulMarkers(http(B), settings(B, ""));
    assertThat(get(late.read())).isEqualTo(new Marker.None()); // A reads, then stalls
    assertThat(get(seed.read())).isEqualTo(new Marker.None());
    String bSession = session(http(B), "delete");
    get(seed.markForming(new Marker.Forming(B, "c-b"), bSession));
    Marker.Formed formed = new Marker.Formed(B, "c-b", Instant.parse("2026-11-22T00:00:00Z"));
    get(seed.markFormed(formed, bSession));
    String aSession = session(http(A), "delete");
    assertThatThrownBy(() -> get(late.markForming(new Marker.Forming(A, "c-a"), aSession)))
        .hasMessageContaining("changed since it was read");
    assertThat(get(seed.read())).isEqualTo(formed);
  }

  @Test
  void formedIsNeverWrittenOverAMarkerAnotherSessionHolds() throws Exception {
    ConsulMarkers a = new ConsulMarkers(http(A), settings(A, ""));
    get(a.read());
    String first = session(http(A), "delete");
    get(a.markForming(new Marker.Forming(A, "c-a"), first));
    ConsulMarkers b = new ConsulMarkers(http(B), settings(B, ""));
    Marker.Formed formed = new Marker.Formed(B, "c-b", Instant.parse("2026-11-22T00:00:00Z"));
    assertThatThrownBy(() -> get(b.markFormed(formed, session(http(B), "delete"))))
        .hasMessageContaining("could not write the formed marker");
    assertThat(get(a.read())).isEqualTo(new Marker.Forming(A, "c-a"));
  }

  @Test
  void destroyingTheLockWhileASessionIsBeingCreatedLeavesNoSession() throws Exception {
    ConsulHttp http = http(A);
    ConsulLock lock = new ConsulLock(http, vertx, settings(A, ""), A);
    CompletableFuture<?> attempt = lock.acquire();
    get(lock.destroy());
    try {
      attempt.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // either outcome is fine; what matters is what is left in Consul
    }
    org.awaitility.Awaitility.await()
        .atMost(Timing.scaled(Duration.ofSeconds(5)))
        .until(() -> consul.sessionCount() == 0);
    assertThat(
            new RawConsul(consul.address(), null)
                .get("/v1/kv/rabbitmq/default/startup_lock")
                .body())
        .doesNotContain("\"Session\"");
  }

  @Test
  void anAclFilteredHealthAnswerIsAnAuthFailureNotAnEmptyList() throws Exception {
    ConsulBackend backend =
        new ConsulBackend(
            settings(A, "cluster_formation.consul.acl_token = filtered-token\n"), A, vertx);
    DiscoveryResult r =
        backend.discover(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(r)
        .isInstanceOfSatisfying(
            DiscoveryResult.Failure.class,
            f -> {
              assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.AUTH);
              assertThat(f.message()).contains("filtered by ACLs").doesNotContain("filtered-token");
            });
    backend.close();
  }
}
