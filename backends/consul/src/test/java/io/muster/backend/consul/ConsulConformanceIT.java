package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.AgentApi;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: what RabbitMQ's Consul plugin does with the same rabbitmq.conf keys, checked against
 * instances registered the way the plugin and other Consul nodes register them (catalog
 * registrations on other nodes, without Meta, without a service address, with several checks).
 */
class ConsulConformanceIT {

  @TempDir Path dir;

  private static String conf(ConsulEmulator consul, String extra) {
    return ConsulAgents.backendConf(consul.address(), extra);
  }

  /** The names one discovery finds with these extra config lines. */
  private static List<String> namesWith(ConsulEmulator consul, String extra) throws Exception {
    return names(BackendUnderTest.discoverOnce(conf(consul, extra)));
  }

  private static List<String> names(DiscoveryResult r) {
    assertThat(r).as("%s", r).isInstanceOf(DiscoveryResult.Peers.class);
    return ((DiscoveryResult.Peers) r).nodes().stream().map(NodeName::toString).toList();
  }

  private static final Map<String, String> HEALTHY =
      Map.of("serfHealth", "passing", "service:rmq", "passing");

  /**
   * RabbitMQ names an instance by its service address, as given; only without one does it take the
   * Consul node's name, and with use_longname writes it {@code <node>.node.<domain_suffix>}.
   * Before, domain_suffix was appended to every name and use_longname was never read.
   */
  @Test
  void namesFollowRabbitMqsRuleForAddressesNodeNamesAndTheDomain() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      consul.catalogRegister(
          "consul-a", "10.1.0.1", "rmq-a", "rabbitmq", "10.0.0.8", List.of(), null, HEALTHY);
      consul.catalogRegister(
          "consul-b", "10.1.0.2", "rmq-b", "rabbitmq", "", List.of(), null, HEALTHY);
      assertThat(namesWith(consul, "")).containsExactly("rabbit@10.0.0.8", "rabbit@consul-b");
      assertThat(namesWith(consul, "cluster_formation.consul.domain_suffix = example.local\n"))
          .as("domain_suffix alone changes nothing")
          .containsExactly("rabbit@10.0.0.8", "rabbit@consul-b");
      assertThat(
              namesWith(
                  consul,
                  "cluster_formation.consul.use_longname = true\n"
                      + "cluster_formation.consul.domain_suffix = example.local\n"))
          .containsExactly("rabbit@10.0.0.8", "rabbit@consul-b.node.example.local");
      assertThat(namesWith(consul, "cluster_formation.consul.use_longname = true\n"))
          .as("Consul's own domain by default")
          .containsExactly("rabbit@10.0.0.8", "rabbit@consul-b.node.consul");
    }
  }

  /**
   * RabbitMQ tags its registration with the cluster name and lists {@code ?tag=<cluster_name>}.
   * Before, Muster did neither: two clusters sharing a service name discovered each other, and a
   * plugin node of the same cluster was found only by accident of the shared name.
   */
  @Test
  void clustersSharingAServiceNameAreKeptApartByTheirTag() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents =
            ConsulAgents.of(consul.address(), dir, "cluster_formation.consul.cluster_name = a\n")) {
      // a RabbitMQ plugin node of cluster a, and one of cluster b, on other Consul nodes
      consul.catalogRegister(
          "consul-p",
          "10.1.0.3",
          "rabbitmq:10.0.0.3",
          "rabbitmq",
          "10.0.0.3",
          List.of("a"),
          null,
          HEALTHY);
      consul.catalogRegister(
          "consul-q",
          "10.1.0.4",
          "rabbitmq:10.0.0.4",
          "rabbitmq",
          "10.0.0.4",
          List.of("b"),
          null,
          HEALTHY);
      Agent a = agents.start(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(() -> AgentApi.peerNames(a.apiPort()).contains("rabbit@node1"));
      assertThat(AgentApi.peerNames(a.apiPort()))
          .containsExactlyInAnyOrder("rabbit@node1", "rabbit@10.0.0.3");
      assertThat(namesWith(consul, "cluster_formation.consul.cluster_name = b\n"))
          .as("cluster b sees only its own")
          .containsExactly("rabbit@10.0.0.4");
    }
  }

  /**
   * Every check counts, the node's serfHealth as the service's own (what Consul's {@code ?passing}
   * does server-side); what is dropped says which check, and Meta may be null or absent.
   */
  @Test
  void anInstanceIsDroppedByAnyFailingCheckAndSaysWhich() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      consul.catalogRegister(
          "consul-a",
          "10.1.0.1",
          "rmq-a",
          "rabbitmq",
          "10.0.0.1",
          List.of(),
          new JsonObject().put("erlang-node-name", "rabbit@mq-a"),
          HEALTHY);
      consul.catalogRegister(
          "consul-b",
          "10.1.0.2",
          "rmq-b",
          "rabbitmq",
          "10.0.0.2",
          List.of(),
          null,
          Map.of("serfHealth", "critical", "service:rmq", "passing"));
      consul.catalogRegister(
          "consul-c",
          "10.1.0.3",
          "rmq-c",
          "rabbitmq",
          "10.0.0.3",
          List.of(),
          null,
          Map.of("serfHealth", "passing", "service:rmq", "passing", "disk", "warning"));
      DiscoveryResult r = BackendUnderTest.discoverOnce(conf(consul, ""));
      assertThat(names(r)).containsExactly("rabbit@mq-a");
      assertThat(((DiscoveryResult.Peers) r).dropped())
          .containsExactlyInAnyOrder(
              "rabbit@10.0.0.2: check 'serfHealth' is critical",
              "rabbit@10.0.0.3: check 'disk' is warning");
      assertThat(namesWith(consul, "cluster_formation.consul.include_nodes_with_warnings = true\n"))
          .containsExactly("rabbit@mq-a", "rabbit@10.0.0.3");
    }
  }
}
