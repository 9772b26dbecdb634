package io.muster.backend.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.NodeName;
import org.junit.jupiter.api.Test;

class OrdinalRuleTest {

  @Test
  void theSeedIsTheSameStatefulSetAtTheSeedOrdinalKeepingTheDomain() {
    assertThat(
            OrdinalRuleBackend.ordinalSeed(NodeName.parse("rabbit@rmq-server-2.rmq-nodes.ns"), 0))
        .isEqualTo(NodeName.parse("rabbit@rmq-server-0.rmq-nodes.ns"));
    assertThat(OrdinalRuleBackend.ordinalSeed(NodeName.parse("rabbit@rmq-7"), 5))
        .isEqualTo(NodeName.parse("rabbit@rmq-5"));
  }

  @Test
  void aHostWithoutAnOrdinalIsAConfigErrorNamingTheKey() {
    assertThatThrownBy(() -> OrdinalRuleBackend.ordinalSeed(NodeName.parse("rabbit@broker"), 0))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("muster.k8s.ordinal_rule")
        .hasMessageContaining("<statefulset>-<ordinal>");
  }

  private static OrdinalRuleBackend ordinal(String self, String extra) {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      io.muster.agent.AgentConfig c =
          io.muster.agent.AgentConfig.fromText(
              "o.conf",
              "muster.node_name = "
                  + self
                  + "\ncluster_formation.peer_discovery_backend = k8s\n"
                  + "muster.k8s.ordinal_rule = true\n"
                  + extra,
              java.util.Map.of());
      return (OrdinalRuleBackend) c.createBackend(vertx);
    } finally {
      vertx.close();
    }
  }

  @Test
  void theSeedAsksTheNextEightPodsOfItsStatefulSetBeforeSeeding() {
    OrdinalRuleBackend b = ordinal("rabbit@rmq-1.rmq-nodes.ns", "");
    assertThat(b.fixedSeed()).contains(NodeName.parse("rabbit@rmq-0.rmq-nodes.ns"));
    assertThat(b.seedPeers())
        .hasSize(OrdinalRuleBackend.SEED_ASKS)
        .startsWith(NodeName.parse("rabbit@rmq-1.rmq-nodes.ns"))
        .endsWith(NodeName.parse("rabbit@rmq-8.rmq-nodes.ns"));
    // a seed named outright, without an ordinal, has nobody to ask
    assertThat(
            ordinal("rabbit@rmq-1.rmq-nodes.ns", "muster.k8s.seed_node = rabbit@seed\n")
                .seedPeers())
        .isEmpty();
  }

  @Test
  void forcedRemovalIsRefusedWithTheOrdinalRule() {
    String conf =
        "muster.node_name = rabbit@rmq-1.rmq-nodes.ns\nmuster.api.port = 0\n"
            + "cluster_formation.peer_discovery_backend = k8s\n"
            + "muster.k8s.ordinal_rule = true\n"
            + "muster.peer.bind = 127.0.0.1\n"
            + "cluster_formation.node_cleanup.only_log_warning = false\n"
            + "muster.cleanup.forget_command = /bin/true {node}\n"
            + "muster.data_dir = "
            + System.getProperty("java.io.tmpdir")
            + "/muster-ordinal-cleanup-"
            + ProcessHandle.current().pid()
            + "\n";
    assertThatThrownBy(
            () ->
                io.muster.agent.Agent.start(
                    io.muster.agent.AgentConfig.fromText("o.conf", conf, java.util.Map.of())))
        .isInstanceOf(io.muster.config.ConfigException.class)
        .hasMessageContaining("o.conf:6: cluster_formation.node_cleanup.only_log_warning")
        .hasMessageContaining("forced removal is off");
  }
}
