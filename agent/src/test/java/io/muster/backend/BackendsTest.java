package io.muster.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The agent's own test class path holds classic_config only: every other backend is known by name,
 * and selecting it names the module to install.
 */
class BackendsTest {

  private final Backends backends = Backends.load();

  /** Found by ConfigFuzzTest in CI: a control character in the name broke the one-line message. */
  @Test
  void anUnknownNameIsQuotedPrintablyInTheConfigError() {
    assertThatThrownBy(
            () ->
                io.muster.agent.AgentConfig.fromText(
                    "t.conf",
                    "muster.node_name = rabbit@a\ncluster_formation.peer_discovery_backend ="
                        + " -1\u0085\n",
                    java.util.Map.of()))
        .hasMessageContaining("t.conf:2: cluster_formation.peer_discovery_backend: expected one of")
        .hasMessageEndingWith("got \"-1?\"");
  }

  @Test
  void anInstalledBackendIsFoundByNameOrAlias() {
    assertThat(backends.select("classic_config").name()).isEqualTo("classic_config");
    assertThat(backends.select("RABBIT_PEER_DISCOVERY_CLASSIC_CONFIG").name())
        .isEqualTo("classic_config");
  }

  @Test
  void anAbsentShippedBackendNamesItsModuleByAnyOfItsNames() {
    assertThatThrownBy(() -> backends.select("rabbit_peer_discovery_etcd"))
        .hasMessage(
            "backend etcd is provided by module muster-backend-etcd, which is not on the class"
                + " path (install it, or put its jar in lib/)");
    assertThatThrownBy(() -> backends.select("kubernetes"))
        .hasMessageStartingWith("backend k8s is provided by module muster-backend-k8s");
    assertThatThrownBy(() -> backends.select("Consul"))
        .hasMessageStartingWith("backend consul is provided by module muster-backend-consul");
  }

  @Test
  void anUnknownNameListsEveryBackend() {
    assertThatThrownBy(() -> backends.select("zookeeper"))
        .hasMessage(
            "one of aws, classic_config, clusterer, consul, dns, etcd, k8s (or a RabbitMQ module name)");
    assertThatThrownBy(() -> backends.select("rabbit_peer_discovery_zookeeper"))
        .hasMessageStartingWith("one of ");
  }

  @Test
  void onlyBackendsOfTheirOwnModuleAreShipped() {
    assertThat(Backends.shipped("rabbit_peer_discovery_dns")).contains("dns");
    assertThat(Backends.shipped("kubernetes")).contains("k8s");
    assertThat(Backends.shipped("classic_config")).as("in the agent, never absent").isEmpty();
  }
}
