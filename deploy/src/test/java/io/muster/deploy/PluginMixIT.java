package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.process.Commands;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 20: moving from RabbitMQ's own etcd plugin to Muster one node at a time. Real etcd and real
 * RabbitMQ 3.10 nodes, some with {@code rabbitmq_peer_discovery_etcd}, the others under {@code
 * muster exec}, started at one instant, must form one cluster of three. Both take the same etcd
 * lock ({@code /rabbitmq/locks/rabbitmq/clusters/<name>/registration}) and read each other's keys;
 * a plugin node registers only once its cluster runs, so Muster joins it, never seeds beside it.
 * The plugin nodes get a join retry budget long enough to wait for a Muster seed's broker (the
 * migration guide's setting: a Muster node registers before its broker boots).
 */
class PluginMixIT {

  @RegisterExtension
  static final RabbitFormationsExtension RABBIT = new RabbitFormationsExtension();

  /** The plugin side's join retries: 60 x 1 s covers a Muster seed's JVM and broker boot. */
  static final String PLUGIN_RETRIES =
      "cluster_formation.discovery_retry_limit = 60\n"
          + "cluster_formation.discovery_retry_interval = 1000\n";

  @ParameterizedTest(name = "{0} node(s) with RabbitMQ's etcd plugin, {1} under muster exec")
  @CsvSource({"2, 1", "1, 2"})
  void pluginAndMusterNodesBootedTogetherFormOneCluster(int plugins, int musters) throws Exception {
    int runs = Integer.parseInt(System.getenv().getOrDefault("MUSTER_MIX_RUNS", "1"));
    List<Long> millis = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      String cluster = "mix" + plugins + musters + "r" + run;
      List<RabbitNode> nodes = new ArrayList<>();
      List<RabbitNode> musterNodes = new ArrayList<>();
      for (int i = 1; i <= musters; i++) {
        RabbitNode n = RABBIT.get().musterNode(cluster + "m" + i, "rabbitmq", cluster, x -> "");
        nodes.add(n);
        musterNodes.add(n);
      }
      List<RabbitNode> pluginNodes = new ArrayList<>();
      for (int i = 1; i <= plugins; i++) {
        RabbitNode n = RABBIT.get().pluginNode(cluster + "p" + i, cluster, PLUGIN_RETRIES);
        nodes.add(n);
        pluginNodes.add(n);
      }
      long t0 = System.nanoTime();
      RabbitFormations.startMuster(musterNodes);
      for (RabbitNode n : pluginNodes) {
        n.startBare();
      }
      RabbitFormations.awaitOneCluster(nodes, t0);
      millis.add((System.nanoTime() - t0) / 1_000_000);
      TreeSet<String> names = new TreeSet<>();
      nodes.forEach(n -> names.add(n.name));
      // each side lists the other's registrations: etcd holds all three (the plugin reads the
      // "node" field of each value), and every agent's peer list names all three
      assertThat(registeredNodes(cluster)).isEqualTo(names);
      for (RabbitNode n : musterNodes) {
        assertThat(peers(n)).as("peers of the agent of %s", n).isEqualTo(names);
      }
      RabbitFormations.stopAll(nodes);
    }
    System.out.println(
        "[figure] RabbitMQ 3.10, "
            + plugins
            + " plugin node(s) + "
            + musters
            + " under muster exec, start to one cluster of 3 (ms): "
            + millis);
  }

  /**
   * The migration itself: a running cluster of the plugin's nodes gets a node under {@code muster
   * exec} (a replacement, new data dir). With no marker in etcd and live registrations that claim
   * no cluster of Muster's, the agent seeded a second cluster before: it must join the plugin's.
   * And the reverse: a node with the plugin added to a cluster Muster formed.
   */
  @ParameterizedTest(name = "a node {0} added to a running cluster of the other kind")
  @CsvSource({"under muster exec", "with the plugin"})
  void aNodeAddedToARunningClusterOfTheOtherKindJoinsIt(String added) throws Exception {
    boolean musterAdded = added.startsWith("under");
    String cluster = musterAdded ? "addmuster" : "addplugin";
    List<RabbitNode> first = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      first.add(
          musterAdded
              ? RABBIT.get().pluginNode(cluster + "p" + i, cluster, PLUGIN_RETRIES)
              : RABBIT.get().musterNode(cluster + "m" + i, "rabbitmq", cluster, x -> ""));
    }
    long t0 = System.nanoTime();
    if (musterAdded) {
      for (RabbitNode n : first) {
        n.startBare();
      }
    } else {
      RabbitFormations.startMuster(first);
    }
    RabbitFormations.awaitOneCluster(first, t0);
    RabbitNode later =
        musterAdded
            ? RABBIT.get().musterNode(cluster + "m9", "rabbitmq", cluster, x -> "")
            : RABBIT.get().pluginNode(cluster + "p9", cluster, PLUGIN_RETRIES);
    long t1 = System.nanoTime();
    if (musterAdded) {
      RabbitFormations.startMuster(List.of(later));
    } else {
      later.startBare();
    }
    List<RabbitNode> all = new ArrayList<>(first);
    all.add(later);
    RabbitFormations.awaitOneCluster(all, t1);
    System.out.println(
        "[figure] RabbitMQ 3.10, a node "
            + added
            + " added to a running cluster of 2 of the other kind, start to one cluster of 3 (ms): "
            + (System.nanoTime() - t1) / 1_000_000);
    RabbitFormations.stopAll(all);
  }

  private static final Pattern NODE = Pattern.compile("\"node\"\\s*:\\s*\"([^\"]+)\"");

  /** The node names in the values under the cluster's nodes/ prefix, as the plugin reads them. */
  private static TreeSet<String> registeredNodes(String cluster) {
    Commands.Result r =
        Commands.run(
            List.of(
                "etcdctl",
                "--endpoints",
                RABBIT.etcdUrl(),
                "get",
                "--prefix",
                "--print-value-only",
                "/rabbitmq/discovery/rabbitmq/clusters/" + cluster + "/nodes/"),
            Map.of("ETCDCTL_API", "3"),
            Duration.ofSeconds(10));
    TreeSet<String> out = new TreeSet<>();
    Matcher m = NODE.matcher(r.output());
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static final Pattern NAME = Pattern.compile("\"([^\"]+@[^\"]+)\"");

  private static TreeSet<String> peers(RabbitNode n) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.apiPort + "/v1/peers"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    String body = r.body();
    String list =
        body.substring(body.indexOf("\"peers\""), body.indexOf("]", body.indexOf("\"peers\"")));
    TreeSet<String> out = new TreeSet<>();
    Matcher m = NAME.matcher(list);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
