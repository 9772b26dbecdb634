package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** etcd going away and coming back, on one member and on a three-member cluster. */
class EtcdOutageIT {

  @RegisterExtension static final EtcdCluster ONE = EtcdCluster.single();
  @RegisterExtension static final EtcdCluster THREE = EtcdCluster.three();

  @TempDir Path dir;

  @Test
  void agentsServeTheLastListAsStaleWhileEtcdIsDownThenReRegisterAndANewAgentJoins()
      throws Exception {
    String cluster = "outage";
    try (TestAgents agents = EtcdAgents.of(ONE, dir, cluster, "");
        Client client =
            Client.builder().endpoints(ONE.clientUrls().toArray(String[]::new)).build()) {
      List<Agent> members = EtcdAgents.formCluster(agents, 3);
      List<String> names = List.of("rabbit@node1", "rabbit@node2", "rabbit@node3");
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(10)))
            .until(() -> AgentApi.peerNames(a.apiPort()).equals(names));
      }
      Map<String, Long> before = EtcdAgents.leases(client, cluster);

      ONE.kill(0);
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> AgentApi.stale(a.apiPort()));
        assertThat(AgentApi.peerNames(a.apiPort())).as("last good list kept").isEqualTo(names);
      }
      // The outage must outlast node_ttl (3 s) so that the agents' leases are given up: the
      // duration is the scenario being tested, not a wait for a condition.
      TimeUnit.SECONDS.sleep(5);
      assertThat(AgentApi.stale(members.get(0).apiPort())).isTrue();
      ONE.start(0, false);
      ONE.awaitHealthy();

      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(
                () ->
                    !AgentApi.stale(a.apiPort()) && AgentApi.peerNames(a.apiPort()).equals(names));
      }
      // this test's own client may still be reconnecting after the restart (gRPC's backoff, not
      // the agents' watched channel): a read that times out is asked again within the bound
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .ignoreExceptionsInstanceOf(TimeoutException.class)
          .untilAsserted(
              () -> {
                Map<String, Long> after = EtcdAgents.leases(client, cluster);
                assertThat(after.keySet()).containsExactlyInAnyOrderElementsOf(names);
                for (String n : names) {
                  assertThat(after.get(n))
                      .as("lease of %s after re-registration", n)
                      .isNotEqualTo(before.get(n));
                }
              });

      Agent late = agents.start(4);
      Decision d = late.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(members.get(0).engine().decision().get().clusterId());
    }
  }

  @Test
  void theClientsGrpcChannelIsWatchedSoReconnectsNeedNotWaitForGrpcsBackoff() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (Client client =
            Client.builder().endpoints(ONE.clientUrls().toArray(String[]::new)).build();
        EtcdChannel channel = EtcdChannel.watch(client, vertx)) {
      assertThat(channel.observed())
          .as("jetcd's channel found (jetcd internals changed?)")
          .isTrue();
      client.getKVClient().get(EtcdPaths.bytes("/probe")).get(10, TimeUnit.SECONDS);
      await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(channel::ready);
      assertThat(channel.reconnects()).isEqualTo(1);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aLeaseWhoseFirstKeepaliveIsNeverAnsweredIsReportedLostWithinItsTtl() throws Exception {
    Duration ttl = Duration.ofSeconds(2);
    CompletableFuture<String> lost = new CompletableFuture<>();
    KeptLease.Listener listener =
        new KeptLease.Listener() {
          @Override
          public void lost(KeptLease lease, String why) {
            lost.complete(why);
          }

          @Override
          public void trouble(KeptLease lease, String why) {}
        };
    try (Client client = EtcdClients.create(settings(ttl), Vertx.vertx(), EtcdClients.executor())) {
      KeptLease lease =
          KeptLease.grant(client.getLeaseClient(), ttl, Duration.ofSeconds(10), listener)
              .get(10, TimeUnit.SECONDS);
      ONE.kill(0); // before jetcd's first keepalive (sent within 500 ms) is answered
      long t0 = System.nanoTime();
      try {
        String why = lost.get(30, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf(
            "[figure] young lease (ttl %d s) reported lost %d ms after etcd went away: %s%n",
            ttl.toSeconds(), ms, why);
        // jetcd alone waits its keepaliveTimeout (10 s) for a first answer: well above the TTL.
        assertThat(ms).isLessThan(ttl.toMillis() + 5_000);
        lease.stopKeepAlive();
      } finally {
        ONE.start(0, false);
        ONE.awaitHealthy();
      }
    }
  }

  private static EtcdSettings settings(Duration ttl) {
    return EtcdSettings.from(
        io.muster.agent.AgentConfig.fromText(
                "t.conf",
                "muster.node_name = rabbit@node1\ncluster_formation.peer_discovery_backend = etcd\n"
                    + ONE.endpointsConfig()
                    + "cluster_formation.etcd.node_ttl = "
                    + ttl.toSeconds()
                    + "\n",
                Map.of())
            .config());
  }

  @Test
  void losingOneOfThreeEtcdMembersKeepsAgentsRegisteredAndANewAgentJoins() throws Exception {
    String cluster = "quorum";
    try (TestAgents agents = EtcdAgents.of(THREE, dir, cluster, "")) {
      List<Agent> members = EtcdAgents.formCluster(agents, 3);
      THREE.kill(0);
      Agent late = agents.start(4);
      Decision d = late.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      List<String> all = List.of("rabbit@node1", "rabbit@node2", "rabbit@node3", "rabbit@node4");
      for (Agent a : members) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(
                () -> !AgentApi.stale(a.apiPort()) && AgentApi.peerNames(a.apiPort()).equals(all));
      }
      THREE.start(0, false);
      THREE.awaitHealthy();
    }
  }
}
