package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.BootTogether;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** etcd going away and coming back, on one member and on a three-member cluster. */
class EtcdOutageIT {

  @RegisterExtension static final EtcdCluster ONE = EtcdCluster.single();
  @RegisterExtension static final EtcdCluster THREE = EtcdCluster.three();

  @TempDir Path dir;

  private static List<Agent> formCluster(TestAgents agents, int n) throws Exception {
    List<Agent> started = new ArrayList<>();
    List<Decision> decisions = EtcdFormationIT.bootTogether(agents, n, 0, started);
    BootTogether.assertOneCluster(decisions);
    for (Agent a : started) {
      a.engine().complete();
    }
    return started;
  }

  private static Map<String, Long> leases(Client client, String cluster) throws Exception {
    String prefix = new EtcdPaths("rabbitmq", cluster).nodesPrefix();
    Map<String, Long> leases = new HashMap<>();
    for (var kv :
        client
            .getKVClient()
            .get(
                EtcdPaths.bytes(prefix),
                io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
            .get(5, TimeUnit.SECONDS)
            .getKvs()) {
      leases.put(EtcdPaths.text(kv.getKey()).substring(prefix.length()), kv.getLease());
    }
    return leases;
  }

  @Test
  void agentsServeTheLastListAsStaleWhileEtcdIsDownThenReRegisterAndANewAgentJoins()
      throws Exception {
    String cluster = "outage";
    try (TestAgents agents = EtcdAgents.of(ONE, dir, cluster, "");
        Client client =
            Client.builder().endpoints(ONE.clientUrls().toArray(String[]::new)).build()) {
      List<Agent> members = formCluster(agents, 3);
      List<String> names = List.of("rabbit@node1", "rabbit@node2", "rabbit@node3");
      for (Agent a : members) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> AgentApi.peerNames(a.apiPort()).equals(names));
      }
      Map<String, Long> before = leases(client, cluster);

      ONE.kill(0);
      for (Agent a : members) {
        await().atMost(Duration.ofSeconds(30)).until(() -> AgentApi.stale(a.apiPort()));
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
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    !AgentApi.stale(a.apiPort()) && AgentApi.peerNames(a.apiPort()).equals(names));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                Map<String, Long> after = leases(client, cluster);
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
  void losingOneOfThreeEtcdMembersKeepsAgentsRegisteredAndANewAgentJoins() throws Exception {
    String cluster = "quorum";
    try (TestAgents agents = EtcdAgents.of(THREE, dir, cluster, "")) {
      List<Agent> members = formCluster(agents, 3);
      THREE.kill(0);
      Agent late = agents.start(4);
      Decision d = late.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      List<String> all = List.of("rabbit@node1", "rabbit@node2", "rabbit@node3", "rabbit@node4");
      for (Agent a : members) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> !AgentApi.stale(a.apiPort()) && AgentApi.peerNames(a.apiPort()).equals(all));
      }
      THREE.start(0, false);
      THREE.awaitHealthy();
    }
  }
}
