package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 23 end to end: RabbitMQ 3.10 nodes under {@code muster exec} in declarative mode (the
 * Clusterer's model; no discovery service), each with a long name on a loopback address of its own
 * so the agents can ask each other. Version 1 (three nodes) forms one cluster; version 2, applied
 * to one agent only, adds a fourth node, whose agent started on the old config learns it and joins;
 * version 3 drops a stopped node and it is forgotten; an equal version with other content is
 * refused; every node restarted in reverse order comes back as one cluster.
 */
class DeclarativeRabbitIT {

  @RegisterExtension
  static final RabbitFormationsExtension RABBIT = new RabbitFormationsExtension();

  private static final String GOSPEL = "clusterer.gospel.node = d2@127.0.0.3\n";

  private static String v1() {
    return "clusterer.version = 1\n"
        + "clusterer.nodes.disc.1 = d1@127.0.0.2\n"
        + "clusterer.nodes.disc.2 = d2@127.0.0.3\n"
        + "clusterer.nodes.disc.3 = d3@127.0.0.4\n"
        + GOSPEL;
  }

  @Test
  void versionsAddAndDropNodesAndAReverseRestartComesBackAsOneCluster() throws Exception {
    int peerPort = Ports.freeOnLoopbacks(6);
    RabbitFormations f = RABBIT.get();
    List<RabbitNode> nodes = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      // node 4 starts on the version-1 config file too, which does not list it
      nodes.add(f.declarativeNode("d" + i, "127.0.0." + (i + 1), peerPort, v1()));
    }
    RabbitNode d1 = nodes.get(0);
    RabbitNode d2 = nodes.get(1);
    RabbitNode d3 = nodes.get(2);
    RabbitNode d4 = nodes.get(3);

    // version 1, booted gospel last
    List<RabbitNode> three = List.of(d3, d1, d2);
    long t0 = System.nanoTime();
    RabbitFormations.startMuster(three);
    RabbitFormations.awaitOneCluster(three, t0);
    assertThat(d2.musterStatus()).containsPattern("\"version\"\\s*:\\s*1");
    System.out.println(
        "[figure] RabbitMQ 3.10, declarative version 1, 3 nodes, start to one cluster (ms): "
            + (System.nanoTime() - t0) / 1_000_000);

    // version 2 adds d4, applied to d1's agent only; d4's agent starts on version 1
    RabbitFormations.startMuster(List.of(d4));
    HttpResponse<String> v2 =
        put(
            d1,
            "[{version, 2}, {nodes, [{'d1@127.0.0.2', disc}, {'d2@127.0.0.3', disc},"
                + " {'d3@127.0.0.4', disc}, {'d4@127.0.0.5', disc}]},"
                + " {gospel, {node, 'd2@127.0.0.3'}}].");
    assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);
    RabbitFormations.awaitOneCluster(nodes, System.nanoTime());
    for (RabbitNode n : nodes) {
      assertThat(Files.readString(n.dir.resolve("muster/cluster-config.json")))
          .as("the config stored by %s", n)
          .containsPattern("\"version\"\\s*:\\s*2");
    }

    // an equal version with other content is refused and changes nothing
    HttpResponse<String> conflicting =
        put(
            d2,
            "[{version, 2}, {nodes, [{'d1@127.0.0.2', disc}, {'d2@127.0.0.3', disc}]},"
                + " {gospel, {node, 'd2@127.0.0.3'}}].");
    assertThat(conflicting.statusCode()).isEqualTo(409);
    assertThat(conflicting.body()).contains("equal versions must be equal configs");
    assertThat(d2.musterStatus()).contains("d4@127.0.0.5");

    // version 3 drops d3, stopped first (a member is forgotten only while it is down)
    d3.stop();
    HttpResponse<String> v3 =
        put(
            d1,
            "[{version, 3}, {nodes, [{'d1@127.0.0.2', disc}, {'d2@127.0.0.3', disc},"
                + " {'d4@127.0.0.5', disc}]}, {gospel, {node, 'd2@127.0.0.3'}}].");
    assertThat(v3.statusCode()).as(v3.body()).isEqualTo(200);
    assertThat(v3.body())
        .containsPattern("\"to_forget\"\\s*:\\s*\"d3@127.0.0.4\"")
        .containsPattern("\"forgotten\"\\s*:\\s*true");
    List<RabbitNode> kept = List.of(d1, d2, d4);
    for (RabbitNode n : kept) {
      await(n + " no longer lists d3")
          .atMost(Timing.scaled(Duration.ofMinutes(1)))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !n.diskNodes().isEmpty() && !n.diskNodes().contains(d3.name));
    }

    // every node stopped, then started in reverse order: one cluster again
    kept.parallelStream().forEach(RabbitNode::stop);
    List<RabbitNode> reverse = List.of(d4, d2, d1);
    long t1 = System.nanoTime();
    RabbitFormations.startMuster(reverse);
    RabbitFormations.awaitOneCluster(reverse, t1);
    System.out.println(
        "[figure] RabbitMQ 3.10, declarative, 3 members restarted in reverse order, to one"
            + " cluster (ms): "
            + (System.nanoTime() - t1) / 1_000_000);
    RabbitFormations.stopAll(reverse);
  }

  @Test
  void aNodeThatRanAnotherClusterIsResetUnderMusterExecAndJoinsTheGospels() throws Exception {
    int peerPort = Ports.freeOnLoopbacks(9);
    RabbitFormations f = RABBIT.get();
    String pair =
        "clusterer.version = 1\nclusterer.nodes.1 = e1@127.0.0.6\n"
            + "clusterer.nodes.2 = e2@127.0.0.7\nclusterer.gospel.node = e1@127.0.0.6\n";
    RabbitNode e1 = f.declarativeNode("e1", "127.0.0.6", peerPort, pair);
    RabbitNode e2 = f.declarativeNode("e2", "127.0.0.7", peerPort, pair);
    for (RabbitNode n : List.of(e1, e2)) {
      // so that a gospel reset (below) can reset them under muster exec
      Files.writeString(
          n.dir.resolve("muster.conf"),
          "muster.node.data_dir = " + n.dir.resolve("mnesia") + "\n",
          java.nio.file.StandardOpenOption.APPEND);
    }
    // e3 first runs a cluster of its own, of a config that lists it alone
    RabbitNode e3 =
        f.declarativeNode(
            "e3",
            "127.0.0.8",
            peerPort,
            "clusterer.version = 1\nclusterer.nodes.1 = e3@127.0.0.8\n"
                + "clusterer.gospel.node = e3@127.0.0.8\n");
    List<RabbitNode> alone = List.of(e3);
    List<RabbitNode> both = List.of(e1, e2);
    RabbitFormations.startMuster(both);
    RabbitFormations.startMuster(alone);
    RabbitFormations.awaitOneCluster(both, System.nanoTime());
    RabbitFormations.awaitOneCluster(alone, System.nanoTime());
    e3.stop();

    // then version 2 adds it to e1's cluster: its data is reset (muster.node.data_dir) first
    RabbitFormations.declarativeConf(
        e3,
        peerPort,
        pair.replace("version = 1", "version = 2")
            + "clusterer.nodes.3 = e3@127.0.0.8\nmuster.node.data_dir = "
            + e3.dir.resolve("mnesia")
            + "\n");
    List<RabbitNode> all = List.of(e1, e2, e3);
    long t0 = System.nanoTime();
    RabbitFormations.startMuster(List.of(e3));
    RabbitFormations.awaitOneCluster(all, t0);
    assertThat(Files.readString(e3.output("muster.out")))
        .contains("data is to be reset before it starts")
        .contains("Node data reset");
    System.out.println(
        "[figure] RabbitMQ 3.10, declarative, a node of another cluster reset and joined (ms): "
            + (System.nanoTime() - t0) / 1_000_000);

    // version 3 with gospel reset, applied to e2 only: every running node is stopped, its data
    // reset, and the three form one new cluster (the vhost made before is gone with the data)
    assertThat(e1.ctl("add_vhost", "before-reset")).isNotNull();
    await("the vhost made before the reset")
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> e3.ctl("list_vhosts").contains("before-reset"));
    long t1 = System.nanoTime();
    HttpResponse<String> v3 =
        put(
            e2,
            "[{version, 3}, {nodes, [{'e1@127.0.0.6', disc}, {'e2@127.0.0.7', disc},"
                + " {'e3@127.0.0.8', disc}]}, {gospel, reset}].");
    assertThat(v3.statusCode()).as(v3.body()).isEqualTo(200);
    for (RabbitNode n : all) {
      await(n + " formed anew at version 3")
          .atMost(Timing.scaled(Duration.ofMinutes(3)))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  Files.exists(n.dir.resolve("muster/membership.json"))
                      && Files.readString(n.dir.resolve("muster/membership.json"))
                          .matches("(?s).*\"config_version\"\\s*:\\s*3.*"));
    }
    RabbitFormations.awaitOneCluster(all, t1);
    for (RabbitNode n : all) {
      assertThat(Files.readString(n.output("muster.out")))
          .as("what %s's agent logged", n)
          .contains("version 3 has gospel reset, which resets every node")
          .contains("deciding again as a fresh node");
      assertThat(n.ctl("list_vhosts")).as("vhosts on %s", n).doesNotContain("before-reset");
    }
    System.out.println(
        "[figure] RabbitMQ 3.10, declarative, gospel reset of a running 3-node cluster, to one"
            + " new cluster (ms): "
            + (System.nanoTime() - t1) / 1_000_000);
    RabbitFormations.stopAll(all);
  }

  private static HttpResponse<String> put(RabbitNode n, String config) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + n.apiPort + "/v1/cluster-config"))
                .PUT(HttpRequest.BodyPublishers.ofString(config))
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
