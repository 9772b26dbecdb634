package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end with real servers: three RabbitMQ 3.10 nodes, each under {@code muster exec} with the
 * etcd backend (real etcd), started at the same instant, must report one cluster of three; then a
 * replaced node is logged or forgotten. The same run times three bare standalone nodes and three
 * nodes using RabbitMQ's own etcd plugin, and prints the figures (the fixtures are {@link
 * RabbitFormations}; {@link RabbitFormationBench} interleaves the three for a benchmark).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RabbitFormationIT {

  @RegisterExtension
  static final RabbitFormationsExtension RABBIT = new RabbitFormationsExtension();

  @BeforeAll
  static void host() {
    System.out.println("[e2e] muster JVM flags: " + RABBIT.get().musterJvm());
  }

  @Test
  @Order(1)
  void threeNodesStartedTogetherUnderMusterFormOneClusterEveryTime() throws Exception {
    List<Long> millis = new ArrayList<>();
    int runs = Integer.parseInt(System.getenv().getOrDefault("MUSTER_E2E_RUNS", "5"));
    for (int run = 1; run <= runs; run++) {
      millis.add(RABBIT.get().muster("m" + run));
    }
    System.out.println(
        "[figure] RabbitMQ 3.10, 3 nodes under muster exec (etcd), start to one cluster of 3 (ms), "
            + runs
            + " runs: "
            + millis);
  }

  @Test
  @Order(2)
  void replacedNodeIsOnlyLoggedByDefault() throws Exception {
    List<RabbitNode> nodes = RABBIT.get().musterNodes("log", true);
    RabbitFormations.startMuster(nodes);
    RabbitFormations.awaitOneCluster(nodes, System.nanoTime());
    RabbitNode gone = nodes.get(2);
    gone.stop();
    gone.deleteData();
    RabbitNode first = nodes.get(0);
    await("cleanup on " + first + " names " + gone + " as a candidate")
        .atMost(Timing.scaled(Duration.ofMinutes(1)))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                java.util.regex.Pattern.compile(
                        "\"candidates\"\\s*:\\s*\\[\\s*\"" + gone.name + "\"")
                    .matcher(first.musterStatus())
                    .find());
    assertThat(Files.readString(first.output("muster.out")))
        .contains("Cluster members unknown to the backend: [" + gone.name + "]. Not removed");
    assertThat(first.diskNodes()).as("only logged: still a member").contains(gone.name);
    RabbitFormations.stopAll(nodes);
  }

  @Test
  @Order(3)
  void replacedNodeIsForgottenWhenCleanupMayRemove() throws Exception {
    List<RabbitNode> nodes = RABBIT.get().musterNodes("forget", false);
    RabbitFormations.startMuster(nodes);
    RabbitFormations.awaitOneCluster(nodes, System.nanoTime());
    RabbitNode gone = nodes.get(2);
    gone.stop();
    gone.deleteData();
    await(gone + " forgotten by the others")
        .atMost(Timing.scaled(Duration.ofMinutes(1)))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Set<String> members = nodes.get(0).diskNodes();
              return !members.isEmpty() && !members.contains(gone.name);
            });
    assertThat(nodes.get(1).diskNodes())
        .containsExactlyInAnyOrder(nodes.get(0).name, nodes.get(1).name);
    RabbitFormations.stopAll(nodes);
  }

  @Test
  @Order(4)
  void bareNodesAndRabbitsOwnEtcdPluginForComparison() throws Exception {
    long bareMs = RABBIT.get().bare("b");
    long pluginMs = RABBIT.get().plugin("p");
    System.out.println(
        "[figure] RabbitMQ 3.10, 3 bare standalone nodes, start to all running (ms): " + bareMs);
    System.out.println(
        "[figure] RabbitMQ 3.10, 3 nodes with RabbitMQ's etcd plugin, start to one cluster of 3 (ms): "
            + pluginMs);
  }
}
