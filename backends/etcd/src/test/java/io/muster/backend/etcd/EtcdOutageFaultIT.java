package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.formation.core.Phase;
import io.muster.testing.AgentApi;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 30 s outage of real etcd (its one member killed, then started again on its data) under five
 * formed agents, with a sixth booted during it. Runs in the {@code faults} profile (scripts/test).
 */
class EtcdOutageFaultIT {

  private static final Duration OUTAGE = Duration.ofSeconds(30);

  /** The bound: from etcd healthy again to an agent's key back under a new lease. */
  private static final Duration RE_REGISTRATION_BOUND = Duration.ofSeconds(1);

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  @Test
  void agentsServeThroughAThirtySecondOutageAndReRegisterWithinOneSecondOfEtcdsReturn()
      throws Exception {
    String cluster = "outage-30s";
    List<String> names =
        List.of("rabbit@node1", "rabbit@node2", "rabbit@node3", "rabbit@node4", "rabbit@node5");
    try (TestAgents agents = EtcdAgents.of(ETCD, dir, cluster, "")) {
      List<Agent> members = EtcdAgents.formCluster(agents, 5);
      String clusterId = members.get(0).engine().decision().get().clusterId();
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(20)))
            .until(() -> AgentApi.peerNames(a.apiPort()).equals(names));
      }
      Map<String, Long> before;
      try (Client client = client()) {
        before = EtcdAgents.leases(client, cluster);
      }
      assertThat(before.keySet()).containsExactlyInAnyOrderElementsOf(names);

      ETCD.kill(0);
      long down = System.nanoTime();
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> AgentApi.stale(a.apiPort()));
      }
      Agent late = agents.start(6); // booted while etcd is down
      // The outage's length is the scenario: sample every agent once a second until it is over.
      int samples = 0;
      while (System.nanoTime() - down < OUTAGE.toNanos()) {
        for (Agent a : members) {
          assertServingStale(a, names);
        }
        assertThat(late.engine().decision()).as("a decision while etcd is down").isNotDone();
        assertThat(late.engine().phase()).isIn(Phase.STARTING, Phase.REGISTERING);
        assertThat(AgentApi.get(late.apiPort(), "/health/live")).contains("\"up\"");
        samples++;
        TimeUnit.SECONDS.sleep(1);
      }

      ETCD.start(0, false);
      long started = System.nanoTime();
      ETCD.awaitHealthy();
      long healthy = System.nanoTime();
      System.out.printf(
          "[figure] etcd started again after a %d s outage: healthy in %d ms%n",
          OUTAGE.toSeconds(), TimeUnit.NANOSECONDS.toMillis(healthy - started));
      Map<String, Long> reaction = reRegistrations(cluster, before, healthy);
      for (var e : reaction.entrySet()) {
        System.out.printf(
            "[figure] etcd healthy again to %s's key back under a new lease: %d ms%n",
            e.getKey(), e.getValue());
      }
      assertThat(reaction)
          .as("ms from etcd healthy to re-registration (bound %s)", RE_REGISTRATION_BOUND)
          .allSatisfy(
              (n, ms) -> assertThat(ms).isLessThanOrEqualTo(RE_REGISTRATION_BOUND.toMillis()));

      Decision d = late.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).as("the agent booted during the outage").isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(clusterId);
      List<String> all = new ArrayList<>(names);
      all.add("rabbit@node6");
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(
                () -> !AgentApi.stale(a.apiPort()) && AgentApi.peerNames(a.apiPort()).equals(all));
        assertThat(a.engine().phase()).isEqualTo(Phase.FORMED);
      }
      System.out.printf(
          "[figure] %d s etcd outage: %d samples of 5 agents' APIs, all answering%n",
          OUTAGE.toSeconds(), samples);
    }
  }

  /** While etcd is down: the API answers, with the last good list flagged stale. */
  private static void assertServingStale(Agent a, List<String> names) {
    JsonObject peers = AgentApi.peers(a.apiPort());
    assertThat(peers.getBoolean("stale")).as("%s stale", a.node()).isTrue();
    assertThat(peers.getJsonArray("peers").getList()).as("last good list").isEqualTo(names);
    JsonObject status = AgentApi.status(a.apiPort());
    assertThat(status.getJsonObject("discovery").getBoolean("stale")).isTrue();
    assertThat(status.getJsonObject("discovery").getString("last_error")).isNotBlank();
    assertThat(AgentApi.get(a.apiPort(), "/health/live")).contains("\"up\"");
    assertThat(a.engine().phase()).as("%s still running", a.node()).isEqualTo(Phase.FORMED);
  }

  /**
   * Polls etcd (every 10 ms, with a client made now that etcd is up) until every node in {@code
   * before} has its key under another lease; returns, per node, the ms from {@code healthy} to the
   * first read that saw it.
   */
  private static Map<String, Long> reRegistrations(
      String cluster, Map<String, Long> before, long healthy) throws Exception {
    Map<String, Long> seen = new TreeMap<>();
    try (Client client = client()) {
      await("every agent's key under a new lease")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                Map<String, Long> now = EtcdAgents.leases(client, cluster);
                long at = System.nanoTime();
                for (var e : before.entrySet()) {
                  Long lease = now.get(e.getKey());
                  if (lease != null && lease != 0 && !lease.equals(e.getValue())) {
                    seen.putIfAbsent(
                        e.getKey(), Math.max(0, TimeUnit.NANOSECONDS.toMillis(at - healthy)));
                  }
                }
                return seen.size() == before.size();
              });
    }
    return seen;
  }

  private static Client client() {
    return Client.builder().endpoints(ETCD.clientUrls().toArray(String[]::new)).build();
  }
}
