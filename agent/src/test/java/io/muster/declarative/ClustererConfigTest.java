package io.muster.declarative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.spi.Backend;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Clusterer's rabbitmq.conf keys as Muster reads them, and what exit 2 says about them. */
class ClustererConfigTest {

  @TempDir Path dir;

  private String base() {
    return "muster.node_name = rabbit@hostA\nmuster.data_dir = " + dir + "\n";
  }

  private ClusterSpec load(String text) {
    AgentConfig c = AgentConfig.fromText("test.conf", base() + text, Map.of());
    Vertx vertx = Vertx.vertx();
    try (Backend b = c.createBackend(vertx)) {
      assertThat(b).isInstanceOf(ClustererBackend.class);
      return ((ClustererBackend) b).inForce();
    } finally {
      vertx.close();
    }
  }

  @Test
  void theReadmesExampleKeysAreReadVerbatimAndWriteNothing() {
    ClusterSpec s =
        load(
            "muster.mode = declarative\n"
                + "clusterer.version = 43\n"
                + "clusterer.nodes.disc.1 = rabbit@hostA\n"
                + "clusterer.nodes.disc.2 = rabbit@hostD\n"
                + "clusterer.nodes.ram.1  = rabbit@hostB\n"
                + "clusterer.gospel.node = rabbit@hostD\n");
    assertThat(s.version()).isEqualTo(43);
    assertThat(s.nodes().get(NodeName.parse("rabbit@hostB"))).isEqualTo(ClusterSpec.NodeType.RAM);
    assertThat(s.gospel()).isEqualTo(new ClusterSpec.FromNode(NodeName.parse("rabbit@hostD")));
    assertThat(dir.resolve("cluster-config.json")).doesNotExist(); // validate and peers
  }

  @Test
  void anExternalFileInTheClusterersFormatIsReadByTheBackendName() throws Exception {
    Path file = dir.resolve("cluster.config");
    Files.writeString(
        file,
        "[{version, 43},\n {nodes, [{'rabbit@hostA', disc}, {'rabbit@hostB', ram},"
            + " {'rabbit@hostD', disc}]},\n {gospel, {node, 'rabbit@hostD'}}].\n");
    ClusterSpec s =
        load(
            "cluster_formation.peer_discovery_backend = clusterer\nclusterer.config = "
                + file
                + "\n");
    assertThat(s.names()).hasSize(3);
  }

  @Test
  void contradictionsAreExitTwoWithTheLineAndKey() {
    assertThatThrownBy(
            () ->
                load(
                    "muster.mode = declarative\n"
                        + "cluster_formation.peer_discovery_backend = etcd\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("test.conf:4")
        .hasMessageContaining("expected clusterer (or no backend) with muster.mode = declarative");
    assertThatThrownBy(() -> load("muster.mode = declarative\nclusterer.nodes.1 = rabbit@hostA\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("clusterer.version")
        .hasMessageContaining("a version, 1 or greater");
    assertThatThrownBy(
            () ->
                load(
                    "muster.mode = declarative\nclusterer.version = 1\n"
                        + "clusterer.nodes.1 = rabbit@hostA\nclusterer.gospel = reset\n"
                        + "clusterer.gospel.node = rabbit@hostA\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not both");
    assertThatThrownBy(
            () ->
                load(
                    "muster.mode = declarative\nclusterer.version = 0\n"
                        + "clusterer.nodes.1 = rabbit@hostA\nclusterer.gospel = reset\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("test.conf:4")
        .hasMessageContaining("1 or greater");
  }

  @Test
  void evenSizesAndTwoNodesGetQuorumAdviceOddSizesNone() {
    assertThat(Quorum.advice(2, "the config")).get().asString().contains("either node is down");
    assertThat(Quorum.advice(4, "x")).get().asString().contains("tolerates 1 down");
    assertThat(Quorum.advice(3, "x")).isEmpty();
    assertThat(Quorum.advice(1, "x")).isEmpty();
  }
}
