package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Three RabbitMQ nodes of a {@link RabbitHost} booted at one instant in one of three ways, timed
 * until they have formed: bare (standalone, no clustering: the floor), with RabbitMQ's own etcd
 * peer discovery plugin, and each under {@code muster exec} with the etcd backend. Shared by {@link
 * RabbitFormationIT} (which also checks node cleanup) and {@link RabbitFormationBench}.
 */
final class RabbitFormations implements AutoCloseable {

  static final Duration FORMATION_BOUND = Duration.ofMinutes(3);

  /**
   * The join mode of the shipped deploy/rabbitmq/muster.conf (its template and {@code join_when}),
   * which every {@link #musterNode} runs; the system properties {@code muster.e2e.template} and
   * {@code muster.e2e.join_when} replace them for a benchmark of another mode.
   */
  static final Map<String, String> SHIPPED = shippedJoinMode();

  private static Map<String, String> shippedJoinMode() {
    Map<String, String> mode = new HashMap<>();
    try {
      for (String line : Files.readAllLines(RabbitHost.WRAPPER.resolveSibling("muster.conf"))) {
        String[] kv = line.split("=", 2);
        if (kv.length == 2 && !line.startsWith("#")) {
          mode.put(kv[0].trim(), kv[1].trim());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> out = new HashMap<>();
    for (String key : List.of("muster.render.1.template", "muster.exec.join_when")) {
      String property = "muster.e2e." + key.substring(key.lastIndexOf('.') + 1);
      String value = System.getProperty(property, mode.get(key));
      if (value == null || value.isBlank()) {
        throw new IllegalStateException("deploy/rabbitmq/muster.conf sets no " + key);
      }
      out.put(key, value);
    }
    return Map.copyOf(out);
  }

  private final RabbitHost host;
  private final String etcdUrl;

  /** Where each node's time went in the last {@link #muster} formation. */
  private List<MusterPhases> lastPhases = List.of();

  private RabbitFormations(RabbitHost host, String etcdUrl) {
    this.host = host;
    this.etcdUrl = etcdUrl;
  }

  /**
   * Formations on a new {@link RabbitHost} (closed by {@link #close}); skips the calling test class
   * where rabbitmq-server is not installed.
   *
   * @param etcdUrl a real etcd's client URL ({@code http://127.0.0.1:P})
   */
  static RabbitFormations onNewHost(String etcdUrl) throws IOException {
    Assumptions.assumeTrue(
        RabbitHost.available(), "rabbitmq-server is not installed (scripts/install-test-deps)");
    return new RabbitFormations(new RabbitHost(), etcdUrl);
  }

  /** The host the formations run on, for tests that start nodes of their own. */
  RabbitHost host() {
    return host;
  }

  /** Where each node's time went in the last {@link #muster} formation. */
  List<MusterPhases> lastPhases() {
    return lastPhases;
  }

  /** The JVM flags each {@code muster exec} runs with. */
  List<String> musterJvm() {
    return host.musterJvm;
  }

  /** Stops the host's nodes and removes its files. */
  @Override
  public void close() throws IOException {
    host.close();
  }

  /**
   * Makes the class-data archive every later {@code muster exec} maps (as an install step would),
   * from one run on this etcd.
   */
  void archiveClasses() throws Exception {
    Path conf = host.base.resolve("archive.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "cluster_formation.peer_discovery_backend = etcd",
            "cluster_formation.etcd.endpoints.1 = " + etcdUrl,
            "cluster_formation.etcd.cluster_name = archive",
            "muster.node_name = archive@localhost",
            "muster.data_dir = " + host.base.resolve("archive"),
            "muster.api.port = 0",
            "muster.render.1.template = " + SHIPPED.get("muster.render.1.template"),
            "muster.render.1.destination = " + host.base.resolve("archive/90-muster.conf"),
            ""));
    host.archiveClasses(conf);
  }

  /** Three bare nodes started at one instant; ms until each runs and reports only itself. */
  long bare(String run) throws IOException {
    List<RabbitNode> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nodes.add(host.node(run + "b" + i));
    }
    long t0 = System.nanoTime();
    for (RabbitNode n : nodes) {
      n.startBare();
    }
    for (RabbitNode n : nodes) {
      await(n + " running alone")
          .atMost(Timing.scaled(FORMATION_BOUND))
          .pollInterval(Duration.ofMillis(50))
          .failFast(n + " exited", () -> !n.alive())
          .until(n::amqpOpen);
    }
    for (RabbitNode n : nodes) {
      await(n + " reports itself")
          .atMost(Timing.scaled(FORMATION_BOUND))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> n.runningNodes().equals(new TreeSet<>(Set.of(n.name))));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    stopAll(nodes);
    return ms;
  }

  /**
   * Three nodes with RabbitMQ's etcd plugin (its defaults, own cluster name per run) started at one
   * instant; ms until all report one cluster of three.
   */
  long plugin(String run) throws IOException {
    List<RabbitNode> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nodes.add(pluginNode(run + "p" + i, run, ""));
    }
    long t0 = System.nanoTime();
    for (RabbitNode n : nodes) {
      n.startBare();
    }
    List<Long> opened = awaitOneCluster(nodes, t0);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("[e2e] " + run + " etcd plugin: AMQP ports open at " + opened + " ms");
    stopAll(nodes);
    return ms;
  }

  /**
   * Three nodes each under {@code muster exec} (etcd backend, {@code join_when = seed_ready}, the
   * host's JVM flags) started at one instant; ms until all report one cluster of three.
   */
  long muster(String run) throws IOException {
    List<RabbitNode> nodes = musterNodes(run, null);
    try {
      Instant launched = Instant.now();
      long t0 = System.nanoTime();
      startMuster(nodes);
      List<Long> opened;
      try {
        opened = awaitOneCluster(nodes, t0);
      } catch (RuntimeException | AssertionError e) {
        String why = whyFailed(nodes);
        keepLogs(run, nodes);
        throw new FormationFailed(why + " (" + firstLine(e) + ")", e);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.println(
          "[e2e] "
              + run
              + " muster exec: AMQP ports open at "
              + opened
              + " ms; one cluster at "
              + ms);
      lastPhases = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        RabbitNode n = nodes.get(i);
        MusterPhases p =
            MusterPhases.read(
                n.name,
                n.output("muster.out"),
                n.brokerLog(),
                launched,
                launched.plusMillis(opened.get(i)),
                launched.plusMillis(ms));
        lastPhases.add(p);
        System.out.println("[phases] " + run + " " + p);
      }
      return ms;
    } finally {
      stopAll(nodes);
    }
  }

  /** A formation that did not end in one cluster, with what the nodes' logs say went wrong. */
  static final class FormationFailed extends RuntimeException {
    FormationFailed(String why, Throwable cause) {
      super(why, cause);
    }
  }

  /**
   * The errors RabbitMQ 3.10 logs when a joiner races its seed, a broker waiting for tables no node
   * serves, and a broker that exited.
   */
  private static final Pattern FAILURE =
      Pattern.compile(
          "schema_integrity_check_failed|table_attributes_mismatch|incompatible_feature_flags"
              + "|cannot_acquire_startup_lock|timeout_waiting_for_tables"
              + "|Waiting for Mnesia tables|Starting as a blank standalone node"
              + "|exited before it became ready with status \\d+");

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }

  /**
   * With the system property {@code muster.bench.failures} set, a failed formation's logs (each
   * node's broker log and agent output) are copied under it, {@code RUN/NODE/...}, for reading
   * after the benchmark's own directories are gone.
   */
  private static void keepLogs(String run, List<RabbitNode> nodes) {
    String to = System.getProperty("muster.bench.failures");
    if (to == null || to.isBlank()) {
      return;
    }
    for (RabbitNode n : nodes) {
      for (Path log : n.logs()) {
        try {
          if (Files.exists(log)) {
            Path dest = Path.of(to, run, n.name, log.getFileName().toString());
            Files.createDirectories(dest.getParent());
            Files.copy(log, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          System.out.println("[e2e] could not keep " + log + ": " + e.getMessage());
        }
      }
    }
  }

  /** Per node, the failures its broker's and agent's logs name (none: "no failure logged"). */
  static String whyFailed(List<RabbitNode> nodes) {
    List<String> out = new ArrayList<>();
    for (RabbitNode n : nodes) {
      Set<String> seen = new TreeSet<>();
      for (Path log : n.logs()) {
        try {
          if (Files.exists(log)) {
            Matcher m = FAILURE.matcher(Files.readString(log));
            while (m.find()) {
              seen.add(m.group());
            }
          }
        } catch (IOException e) {
          seen.add("unreadable " + log.getFileName());
        }
      }
      if (!seen.isEmpty()) {
        out.add(n.name + ": " + String.join(", ", seen));
      }
    }
    return out.isEmpty() ? "no failure logged" : String.join("; ", out);
  }

  /**
   * Three nodes configured for {@code muster exec} with the etcd backend, one etcd cluster name per
   * run; not started. {@code onlyLog}: node cleanup every 2 s, only logging (true) or forgetting
   * (false); null leaves cleanup at its defaults.
   */
  List<RabbitNode> musterNodes(String run, Boolean onlyLog) throws IOException {
    List<RabbitNode> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nodes.add(musterNode(run + "n" + i, "e2e", run, cleanupLines(onlyLog)));
    }
    return nodes;
  }

  /**
   * One node configured for {@code muster exec} with the etcd backend under {@code keyPrefix} and
   * {@code cluster}; not started. {@code extra}: more config lines (given the node).
   */
  RabbitNode musterNode(
      String name,
      String keyPrefix,
      String cluster,
      java.util.function.Function<RabbitNode, String> extra)
      throws IOException {
    RabbitNode n = host.node(name);
    Files.writeString(
        n.dir.resolve("muster.conf"),
        String.join(
            "\n",
            "cluster_formation.peer_discovery_backend = etcd",
            "cluster_formation.etcd.endpoints.1 = " + etcdUrl,
            "cluster_formation.etcd.key_prefix = " + keyPrefix,
            "cluster_formation.etcd.cluster_name = " + cluster,
            "cluster_formation.etcd.node_ttl = 5",
            agentLines(n),
            extra.apply(n),
            ""));
    return n;
  }

  /**
   * One node for {@code muster exec} in declarative mode (no discovery service): long name {@code
   * name@address}, the agents' peer port {@code peerPort} on each node's own address, the shipped
   * template and join mode, the forget command for a node a version drops, and {@code clusterer}
   * (the Clusterer's keys, as in a rabbitmq.conf); not started.
   */
  RabbitNode declarativeNode(String name, String address, int peerPort, String clusterer)
      throws IOException {
    RabbitNode n = host.node(name, address);
    declarativeConf(n, peerPort, clusterer);
    return n;
  }

  /** (Re)writes {@code n}'s muster.conf for declarative mode with {@code clusterer}. */
  static void declarativeConf(RabbitNode n, int peerPort, String clusterer) throws IOException {
    String ctl = RabbitHost.RABBIT_BIN.resolve("rabbitmqctl") + " -n " + n.name;
    // the agents prove who they are to each other, so a config spreads from any of them (a node
    // that appears with a younger one included), as a production cluster should have it
    java.nio.file.Path secret = n.host.base.resolve("peer.secret");
    if (!Files.exists(secret)) {
      Files.writeString(secret, "declarative-e2e-peer-secret-" + ProcessHandle.current().pid());
      Files.setPosixFilePermissions(
          secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    Files.writeString(
        n.dir.resolve("muster.conf"),
        String.join(
            "\n",
            "muster.mode = declarative",
            agentLines(n),
            "muster.peer.port = " + peerPort,
            "muster.peer.secret_file = " + secret,
            "muster.cleanup.forget_command = " + ctl + " forget_cluster_node {node}",
            clusterer,
            ""));
  }

  /** The agent's lines every mode shares: name, dirs, API, the shipped template and join mode. */
  private static String agentLines(RabbitNode n) {
    return String.join(
        "\n",
        "muster.node_name = " + n.name,
        "muster.data_dir = " + n.dir.resolve("muster"),
        "muster.api.port = " + n.apiPort,
        "muster.render.1.template = " + SHIPPED.get("muster.render.1.template"),
        "muster.render.1.destination = " + n.confd.resolve("90-muster.conf"),
        "muster.exec.ready.tcp = 127.0.0.1:" + n.amqpPort,
        "muster.exec.ready.interval = 100ms",
        "muster.exec.join_when = " + SHIPPED.get("muster.exec.join_when"),
        "muster.exec.stop_timeout = 60");
  }

  /**
   * One node with RabbitMQ's own etcd plugin in {@code cluster}; not started. RabbitMQ 3.10.8's
   * plugin ignores {@code key_prefix}, {@code node_ttl} and {@code lock_timeout} (rabbitmq-server
   * #7554): its keys are always under prefix {@code rabbitmq}. {@code extra}: more rabbitmq.conf
   * lines.
   */
  RabbitNode pluginNode(String name, String cluster, String extra) throws IOException {
    RabbitNode n = host.node(name);
    n.plugins("[rabbitmq_peer_discovery_etcd].");
    n.conf(
        "20-etcd.conf",
        "cluster_formation.peer_discovery_backend = etcd\n"
            + "cluster_formation.etcd.endpoints.1 = "
            + etcdUrl.replace("http://", "")
            + "\ncluster_formation.etcd.cluster_name = "
            + cluster
            + "\n"
            + extra);
    return n;
  }

  static void startMuster(List<RabbitNode> nodes) {
    for (RabbitNode n : nodes) {
      try {
        n.startMuster(n.dir.resolve("muster.conf"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static java.util.function.Function<RabbitNode, String> cleanupLines(Boolean onlyLog) {
    return n -> cleanup(n, onlyLog);
  }

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
  static List<Long> awaitOneCluster(List<RabbitNode> nodes, long t0) {
    Set<String> names = new TreeSet<>();
    nodes.forEach(n -> names.add(n.name));
    // every node polled each round, so each one's opening is its own, not the previous node's
    Long[] at = new Long[nodes.size()];
    await("every node accepting AMQP")
        .atMost(Timing.scaled(FORMATION_BOUND))
        .pollInterval(Duration.ofMillis(50))
        .failFast("a node exited", () -> nodes.stream().anyMatch(n -> !n.alive()))
        .until(
            () -> {
              for (int i = 0; i < at.length; i++) {
                if (at[i] == null && nodes.get(i).amqpOpen()) {
                  at[i] = (System.nanoTime() - t0) / 1_000_000;
                }
              }
              return Arrays.stream(at).allMatch(Objects::nonNull);
            });
    List<Long> opened = List.of(at);
    for (RabbitNode n : nodes) {
      await(n + " reports the cluster " + names)
          .atMost(Timing.scaled(FORMATION_BOUND))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> n.runningNodes().equals(names));
    }
    return opened;
  }

  /** Stops the nodes in parallel and checks that none left a process behind. */
  static void stopAll(List<RabbitNode> nodes) {
    nodes.parallelStream().forEach(RabbitNode::stop);
    for (RabbitNode n : nodes) {
      assertThat(n.outlived()).as("processes of " + n + " that outlived it").isEmpty();
    }
  }
}
