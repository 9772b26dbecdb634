package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.backend.etcd.EtcdCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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
 * nodes using RabbitMQ's own etcd plugin, and prints the figures.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RabbitFormationIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  private static RabbitHost host;
  private static final Duration FORMATION_BOUND = Duration.ofMinutes(3);

  @BeforeAll
  static void host() throws Exception {
    Assumptions.assumeTrue(
        RabbitHost.available(), "rabbitmq-server is not installed (scripts/install-test-deps)");
    host = new RabbitHost();
    archiveClasses();
  }

  private static void archiveClasses() throws Exception {
    Path conf = host.base.resolve("archive.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "cluster_formation.peer_discovery_backend = etcd",
            "cluster_formation.etcd.endpoints.1 = " + ETCD.clientUrl(0),
            "cluster_formation.etcd.cluster_name = archive",
            "muster.node_name = archive@localhost",
            "muster.data_dir = " + host.base.resolve("archive"),
            "muster.api.port = 0",
            "muster.render.1.template = builtin:rabbitmq",
            "muster.render.1.destination = " + host.base.resolve("archive/90-muster.conf"),
            ""));
    host.archiveClasses(conf);
    System.out.println("[e2e] muster JVM flags: " + host.musterJvm);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (host != null) {
      host.close();
    }
  }

  @Test
  @Order(1)
  void threeNodesStartedTogetherUnderMusterFormOneClusterEveryTime() throws Exception {
    List<Long> millis = new ArrayList<>();
    int runs = Integer.parseInt(System.getenv().getOrDefault("MUSTER_E2E_RUNS", "5"));
    for (int run = 1; run <= runs; run++) {
      List<RabbitNode> nodes = musterNodes("m" + run, null);
      long t0 = System.nanoTime();
      for (RabbitNode n : nodes) {
        n.startMuster(n.dir.resolve("muster.conf"));
      }
      List<Long> opened = awaitOneCluster(nodes, t0);
      millis.add((System.nanoTime() - t0) / 1_000_000);
      System.out.println(
          "[e2e] run "
              + run
              + ": AMQP ports open at "
              + opened
              + " ms; one cluster at "
              + millis.get(run - 1)
              + " ms");
      stopAll(nodes);
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
    List<RabbitNode> nodes = musterNodes("log", true);
    nodes.forEach(this::startMuster);
    awaitOneCluster(nodes, System.nanoTime());
    RabbitNode gone = nodes.get(2);
    gone.stop();
    gone.deleteData();
    RabbitNode first = nodes.get(0);
    await("cleanup on " + first + " names " + gone + " as a candidate")
        .atMost(Duration.ofMinutes(1))
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
    stopAll(nodes);
  }

  @Test
  @Order(3)
  void replacedNodeIsForgottenWhenCleanupMayRemove() throws Exception {
    List<RabbitNode> nodes = musterNodes("forget", false);
    nodes.forEach(this::startMuster);
    awaitOneCluster(nodes, System.nanoTime());
    RabbitNode gone = nodes.get(2);
    gone.stop();
    gone.deleteData();
    await(gone + " forgotten by the others")
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Set<String> members = nodes.get(0).diskNodes();
              return !members.isEmpty() && !members.contains(gone.name);
            });
    assertThat(nodes.get(1).diskNodes())
        .containsExactlyInAnyOrder(nodes.get(0).name, nodes.get(1).name);
    stopAll(nodes);
  }

  @Test
  @Order(4)
  void bareNodesAndRabbitsOwnEtcdPluginForComparison() throws Exception {
    List<RabbitNode> bare = List.of(host.node("b1"), host.node("b2"), host.node("b3"));
    long t0 = System.nanoTime();
    for (RabbitNode n : bare) {
      n.startBare();
    }
    for (RabbitNode n : bare) {
      await(n + " running alone")
          .atMost(FORMATION_BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(n::amqpOpen);
      await(n + " reports itself")
          .atMost(FORMATION_BOUND)
          .until(() -> n.runningNodes().equals(new TreeSet<>(Set.of(n.name))));
    }
    long bareMs = (System.nanoTime() - t0) / 1_000_000;
    stopAll(bare);

    List<RabbitNode> plugin = List.of(host.node("p1"), host.node("p2"), host.node("p3"));
    for (RabbitNode n : plugin) {
      n.plugins("[rabbitmq_peer_discovery_etcd].");
      n.conf(
          "20-etcd.conf",
          "cluster_formation.peer_discovery_backend = etcd\n"
              + "cluster_formation.etcd.endpoints.1 = "
              + ETCD.clientUrl(0).replace("http://", "")
              + "\n"
              + "cluster_formation.etcd.key_prefix = plugin\n"
              + "cluster_formation.etcd.cluster_name = plugin\n");
    }
    t0 = System.nanoTime();
    for (RabbitNode n : plugin) {
      n.startBare();
    }
    List<Long> opened = awaitOneCluster(plugin, t0);
    long pluginMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("[e2e] etcd plugin: AMQP ports open at " + opened + " ms");
    stopAll(plugin);
    System.out.println(
        "[figure] RabbitMQ 3.10, 3 bare standalone nodes, start to all running (ms): " + bareMs);
    System.out.println(
        "[figure] RabbitMQ 3.10, 3 nodes with RabbitMQ's etcd plugin, start to one cluster of 3 (ms): "
            + pluginMs);
  }

  private void startMuster(RabbitNode n) {
    try {
      n.startMuster(n.dir.resolve("muster.conf"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Three nodes configured for muster exec with the etcd backend, one etcd cluster name per run.
   */
  private static List<RabbitNode> musterNodes(String run, Boolean onlyLog) throws IOException {
    List<RabbitNode> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      RabbitNode n = host.node(run + "n" + i);
      Files.writeString(
          n.dir.resolve("muster.conf"),
          String.join(
              "\n",
              "cluster_formation.peer_discovery_backend = etcd",
              "cluster_formation.etcd.endpoints.1 = " + ETCD.clientUrl(0),
              "cluster_formation.etcd.key_prefix = e2e",
              "cluster_formation.etcd.cluster_name = " + run,
              "cluster_formation.etcd.node_ttl = 5",
              "muster.node_name = " + n.name,
              "muster.data_dir = " + n.dir.resolve("muster"),
              "muster.api.port = " + n.apiPort,
              "muster.render.1.template = builtin:rabbitmq",
              "muster.render.1.destination = " + n.confd.resolve("90-muster.conf"),
              "muster.exec.ready.tcp = 127.0.0.1:" + n.amqpPort,
              "muster.exec.ready.interval = 100ms",
              "muster.exec.join_when = seed_ready",
              "muster.exec.stop_timeout = 60",
              cleanup(n, onlyLog),
              ""));
      nodes.add(n);
    }
    return nodes;
  }

  /**
   * Cleanup keys: none (the default 60 s interval) when {@code onlyLog} is null, else every 2 s.
   */
  private static String cleanup(RabbitNode n, Boolean onlyLog) {
    if (onlyLog == null) {
      return "";
    }
    String ctl = RabbitHost.RABBIT_BIN.resolve("rabbitmqctl") + " -n " + n.name;
    return String.join(
        "\n",
        "cluster_formation.node_cleanup.interval = 2",
        "cluster_formation.node_cleanup.only_log_warning = " + onlyLog,
        "muster.cleanup.members_command = " + ctl + " cluster_status --formatter json",
        "muster.cleanup.forget_command = " + ctl + " forget_cluster_node {node}");
  }

  /**
   * Every node lists the same three running nodes. Returns, per node, when its AMQP port opened (ms
   * after {@code t0}), for the log.
   */
  private static List<Long> awaitOneCluster(List<RabbitNode> nodes, long t0) {
    Set<String> names = new TreeSet<>();
    nodes.forEach(n -> names.add(n.name));
    List<Long> opened = new ArrayList<>();
    for (RabbitNode n : nodes) {
      await(n + " accepting AMQP")
          .atMost(FORMATION_BOUND)
          .pollInterval(Duration.ofMillis(50))
          .failFast(n + " exited", () -> !n.alive())
          .until(n::amqpOpen);
      opened.add((System.nanoTime() - t0) / 1_000_000);
    }
    for (RabbitNode n : nodes) {
      await(n + " reports the cluster " + names)
          .atMost(FORMATION_BOUND)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> n.runningNodes().equals(names));
    }
    return opened;
  }

  private static void stopAll(List<RabbitNode> nodes) {
    nodes.parallelStream().forEach(RabbitNode::stop);
    for (RabbitNode n : nodes) {
      assertThat(n.outlived()).as("processes of " + n + " that outlived it").isEmpty();
    }
  }
}
