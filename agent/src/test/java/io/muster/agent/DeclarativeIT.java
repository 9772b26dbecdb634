package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.muster.cli.Cli;
import io.muster.config.ConfigException;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.spi.NodeName;
import io.muster.testing.AgentApi;
import io.muster.testing.MusterExec;
import io.muster.testing.Ports;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Declarative mode (the Clusterer's model) with real agents on 127.0.0.x, all in this JVM: the
 * Clusterer's own rabbitmq.conf keys, any boot order, one cluster; configs handed to one agent over
 * the API; conflicting versions refused.
 */
class DeclarativeIT {

  @TempDir Path dir;

  private final int peerPort = Ports.freeOnLoopbacks(4);
  private final List<Agent> agents = new ArrayList<>();

  /** The Clusterer's keys, verbatim, for nodes 127.0.0.1..n with {@code gospel}. */
  private String config(int host, String clusterer) {
    return "muster.node_name = rabbit@127.0.0."
        + host
        + "\nmuster.mode = declarative\nmuster.api.port = 0\nmuster.peer.port = "
        + peerPort
        + "\nmuster.data_dir = "
        + dir.resolve("n" + host)
        + "\nmuster.peer.secret_file = "
        + secret()
        + "\nmuster.peer.probe_timeout = 1s\ncluster_formation.discovery_retry_interval = 100\n"
        + "muster.discovery.poll_interval = 30s\n"
        + clusterer;
  }

  /**
   * The agents' shared peer secret: with it, a younger config is taken from any agent that proves
   * it is one (a node that appears later with it); without, only from listed nodes' agents.
   */
  private Path secret() {
    Path f = dir.resolve("peer.secret");
    try {
      if (!Files.exists(f)) {
        Files.writeString(f, "declarative-it-peer-secret-0123456789");
        Files.setPosixFilePermissions(
            f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return f;
  }

  private static String v1(String gospel) {
    return "clusterer.version = 1\n"
        + "clusterer.nodes.disc.1 = rabbit@127.0.0.1\n"
        + "clusterer.nodes.disc.2 = rabbit@127.0.0.2\n"
        + "clusterer.nodes.ram.1 = rabbit@127.0.0.3\n"
        + gospel;
  }

  private Agent start(int host, String clusterer) {
    Agent a =
        Agent.start(
            AgentConfig.fromText("node" + host + ".conf", config(host, clusterer), Map.of()));
    agents.add(a);
    return a;
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    agents.parallelStream().forEach(Agent::close);
  }

  /** Waits (bounded) until the agent's status says it waits for something naming every part. */
  private static void awaitWaitingFor(Agent a, String... parts) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        AgentApi.status(a.apiPort())
                            .getJsonObject("declarative")
                            .getString("waiting_for"))
                    .contains(parts));
  }

  private static Decision decision(Agent a) throws Exception {
    return a.engine().decision().get(60, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "gospel node 2, boot order {0}")
  @ValueSource(strings = {"123", "231", "312", "321"})
  void threeNodesBootedInAnyOrderFormOneClusterFromTheGospelNode(String order) throws Exception {
    List<Agent> started = new ArrayList<>();
    for (char c : order.toCharArray()) {
      int host = c - '0';
      started.add(start(host, v1("clusterer.gospel.node = rabbit@127.0.0.2\n")));
      if (started.size() == 1) {
        // alone, the first agent waits, and says for whom
        Agent first = started.get(0);
        awaitWaitingFor(first, "cluster config version 1", "no answer from");
        assertThat(first.engine().decision()).isNotDone();
      }
    }
    Agent gospel = started.get(order.indexOf('2'));
    Decision seed = decision(gospel);
    assertThat(seed).isInstanceOf(Decision.Seed.class);
    for (Agent a : started) {
      Decision d = decision(a);
      assertThat(d.clusterId()).isEqualTo(seed.clusterId());
      if (a != gospel) {
        assertThat(d).isInstanceOf(Decision.Join.class);
        assertThat(d.seed()).isEqualTo(NodeName.parse("rabbit@127.0.0.2"));
      }
    }
    JsonObject status = AgentApi.status(gospel.apiPort()).getJsonObject("declarative");
    assertThat(status.getLong("version")).isEqualTo(1);
    assertThat(status.getJsonObject("nodes").getJsonObject("rabbit@127.0.0.3").getString("type"))
        .isEqualTo("ram");
    assertThat(Files.readString(dir.resolve("n2/cluster-config.json"))).contains("\"version\"");
  }

  @Test
  void gospelResetSeedsFromTheLowestNamedNodeOnceAllAreFresh() throws Exception {
    Agent three = start(3, v1("clusterer.gospel = reset\n"));
    Agent two = start(2, v1("clusterer.gospel = reset\n"));
    Agent one = start(1, v1("clusterer.gospel = reset\n"));
    assertThat(decision(one)).isInstanceOf(Decision.Seed.class);
    assertThat(decision(two).seed()).isEqualTo(NodeName.parse("rabbit@127.0.0.1"));
    assertThat(decision(three).seed()).isEqualTo(NodeName.parse("rabbit@127.0.0.1"));
  }

  @Test
  void aYoungerConfigAppliedToOneAgentIsStoredAndAnEqualVersionThatDiffersIsRefused()
      throws Exception {
    Agent one = start(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"));
    HttpResponse<String> unquoted = put(one, "[{version, 2}, {nodes, [rabbit@127.0.0.1]}].");
    assertThat(unquoted.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(unquoted.body()).getString("detail"))
        .contains("line 1")
        .contains("in single quotes");
    String sameVersionOtherContent =
        "[{version, 1}, {nodes, [{'rabbit@127.0.0.1', disc}, {'rabbit@127.0.0.4', disc}]},"
            + " {gospel, {node, 'rabbit@127.0.0.1'}}].";
    HttpResponse<String> refused = put(one, sameVersionOtherContent);
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(refused.body()).getString("detail"))
        .contains("equal versions must be equal configs");
    assertThat(AgentApi.get(one.apiPort(), "/v1/cluster-config")).doesNotContain("127.0.0.4");

    String v2 =
        "[{version, 2},\n {nodes, [{'rabbit@127.0.0.1', disc}, {'rabbit@127.0.0.2', disc},"
            + " {'rabbit@127.0.0.3', ram}, {'rabbit@127.0.0.4', disc}]},\n"
            + " {gospel, {node, 'rabbit@127.0.0.1'}}].";
    HttpResponse<String> applied = put(one, v2);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(new JsonObject(AgentApi.get(one.apiPort(), "/v1/cluster-config")).getLong("version"))
        .isEqualTo(2);
    assertThat(put(one, v2).statusCode()).isEqualTo(200); // the same again: unchanged
    HttpResponse<String> older = put(one, sameVersionOtherContent);
    assertThat(older.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(older.body()).getString("detail")).contains("older");
    // the status advises against 4 nodes
    assertThat(AgentApi.status(one.apiPort()).getJsonObject("declarative").getString("advice"))
        .contains("names 4 nodes");

    // a restart keeps version 2 although the config file still says 1
    agents.remove(one);
    one.close();
    Agent again = start(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"));
    assertThat(
            new JsonObject(AgentApi.get(again.apiPort(), "/v1/cluster-config")).getLong("version"))
        .isEqualTo(2);
  }

  @Test
  void aConfigFileThatContradictsTheStoredConfigOfItsVersionIsAConfigError() throws Exception {
    Agent one = start(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"));
    agents.remove(one);
    one.close();
    String contradicting =
        "clusterer.version = 1\nclusterer.nodes.1 = rabbit@127.0.0.1\n"
            + "clusterer.nodes.2 = rabbit@127.0.0.5\nclusterer.gospel.node = rabbit@127.0.0.1\n";
    assertThatThrownBy(() -> start(1, contradicting))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("node1.conf")
        .hasMessageContaining("clusterer.version")
        .hasMessageContaining("equal versions must be equal configs");
  }

  private static long version(Agent a) {
    return new JsonObject(AgentApi.get(a.apiPort(), "/v1/cluster-config")).getLong("version");
  }

  @Test
  void aVersionAppliedToOneAgentReachesEveryAgentAndTheNodeItAddsJoins() throws Exception {
    String gospel = "clusterer.gospel.node = rabbit@127.0.0.1\n";
    List<Agent> cluster = new ArrayList<>();
    for (int host = 1; host <= 3; host++) {
      cluster.add(start(host, v1(gospel)));
    }
    Decision seed = decision(cluster.get(0));
    for (Agent a : cluster) {
      decision(a);
    }
    for (Agent a : cluster) {
      a.engine().complete(); // seed first: the joiners' nodes joined it
    }
    // node 4's agent starts on the old config file, which does not list it: it waits
    Agent four = start(4, v1(gospel));
    awaitWaitingFor(four, "a config that lists this node");
    String v2 =
        "[{version, 2}, {nodes, [{'rabbit@127.0.0.1', disc}, {'rabbit@127.0.0.2', disc},"
            + " {'rabbit@127.0.0.3', ram}, {'rabbit@127.0.0.4', disc}]},"
            + " {gospel, {node, 'rabbit@127.0.0.1'}}].";
    assertThat(put(cluster.get(1), v2).statusCode()).isEqualTo(200); // one agent only
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              for (Agent a : List.of(cluster.get(0), cluster.get(2), four)) {
                assertThat(version(a)).isEqualTo(2);
              }
            });
    Decision d = decision(four);
    assertThat(d).isInstanceOf(Decision.Join.class);
    assertThat(d.clusterId()).isEqualTo(seed.clusterId());
    assertThat(Files.readString(dir.resolve("n3/cluster-config.json"))).contains("127.0.0.4");
  }

  @Test
  void aVersionThatDropsANodeHasItForgottenOnceByTheAgentItWasAppliedTo() throws Exception {
    Path forgotten = dir.resolve("forgotten");
    Path script = dir.resolve("forget.sh");
    Files.writeString(script, "#!/bin/sh\necho \"$1\" >> " + forgotten + "\n");
    script.toFile().setExecutable(true);
    String extra =
        "clusterer.gospel.node = rabbit@127.0.0.1\nmuster.cleanup.forget_command = "
            + script
            + " {node}\n";
    List<Agent> cluster = new ArrayList<>();
    for (int host = 1; host <= 3; host++) {
      cluster.add(start(host, v1(extra)));
    }
    for (Agent a : cluster) {
      decision(a);
    }
    for (Agent a : cluster) {
      a.engine().complete();
    }
    String v2 =
        "{\"version\": 2, \"nodes\": {\"rabbit@127.0.0.1\": \"disc\", \"rabbit@127.0.0.2\":"
            + " \"disc\"}, \"gospel\": {\"node\": \"rabbit@127.0.0.1\"}}";
    HttpResponse<String> applied = put(cluster.get(0), v2);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(applied.body());
    assertThat(answer.getString("to_forget")).isEqualTo("rabbit@127.0.0.3");
    assertThat(answer.getBoolean("forgotten")).isTrue();
    assertThat(Files.readAllLines(forgotten)).containsExactly("rabbit@127.0.0.3");
    // agent 2 gets version 2 by spreading, and does not forget it a second time
    await().atMost(Duration.ofSeconds(60)).until(() -> version(cluster.get(1)) == 2);
    assertThat(Files.readAllLines(forgotten)).containsExactly("rabbit@127.0.0.3");
  }

  @Test
  void musterApplyChecksTheFileThenHandsItToTheRunningAgent() throws Exception {
    Agent one = start(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"));
    // the CLI reads the agent's API port from its config, as an operator's would
    Path conf = dir.resolve("cli.conf");
    Files.writeString(
        conf,
        config(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"))
            .replace("muster.api.port = 0", "muster.api.port = " + one.apiPort()));
    Path bad = dir.resolve("bad.config");
    Files.writeString(bad, "[{version, 2},\n {nodes, [rabbit@127.0.0.1]}].");
    Cli.Result unreadable = Cli.run("apply", "--config", conf.toString(), bad.toString());
    assertThat(unreadable.code()).isEqualTo(2);
    assertThat(unreadable.err()).contains("bad.config").contains("line 2");

    Path v2 = dir.resolve("v2.config");
    Files.writeString(
        v2,
        "[{version, 2}, {nodes, [{'rabbit@127.0.0.1', disc}, {'rabbit@127.0.0.2', disc},"
            + " {'rabbit@127.0.0.3', disc}]}, {gospel, {node, 'rabbit@127.0.0.1'}}].\n");
    Cli.Result applied = Cli.run("apply", "--config", conf.toString(), v2.toString());
    assertThat(applied.code()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("applied: version 2");
    assertThat(version(one)).isEqualTo(2);

    Path other = dir.resolve("other.config");
    Files.writeString(
        other,
        "[{version, 2}, {nodes, [{'rabbit@127.0.0.1', disc}]},"
            + " {gospel, {node, 'rabbit@127.0.0.1'}}].\n");
    Cli.Result refused = Cli.run("apply", "--config", conf.toString(), other.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("not applied (HTTP 409)").contains("equal versions");
  }

  /** Review finding: each agent decided by its own config, and both seeded. */
  @Test
  void twoAgentsOfEqualVersionsWithOtherGospelsNeverBothSeed() throws Exception {
    String pair =
        "clusterer.version = 1\nclusterer.nodes.1 = rabbit@127.0.0.1\n"
            + "clusterer.nodes.2 = rabbit@127.0.0.2\n";
    Agent one = start(1, pair + "clusterer.gospel.node = rabbit@127.0.0.1\n");
    Agent two = start(2, pair + "clusterer.gospel.node = rabbit@127.0.0.2\n");
    for (Agent a : List.of(one, two)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          AgentApi.status(a.apiPort())
                              .getJsonObject("declarative")
                              .getJsonObject("conflicts"))
                      .isNotEmpty());
    }
    // several more rounds (100 ms apart): still nobody decided
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !one.engine().decision().isDone() && !two.engine().decision().isDone());
  }

  @Test
  void equalVersionsWithDifferentContentAreRefusedOnBothSidesAndChangeNothing() throws Exception {
    Agent one = start(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"));
    Agent two = start(2, v1("clusterer.gospel.node = rabbit@127.0.0.2\n"));
    for (Agent[] pair : new Agent[][] {{one, two}, {two, one}}) {
      Agent a = pair[0];
      String other = "rabbit@127.0.0." + (a == one ? 2 : 1);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          AgentApi.status(a.apiPort())
                              .getJsonObject("declarative")
                              .getJsonObject("conflicts")
                              .getString(other))
                      .contains("equal versions must be equal configs"));
    }
    assertThat(AgentApi.get(one.apiPort(), "/v1/cluster-config"))
        .contains("\"node\" : \"rabbit@127.0.0.1\"");
    assertThat(AgentApi.get(two.apiPort(), "/v1/cluster-config"))
        .contains("\"node\" : \"rabbit@127.0.0.2\"");
    assertThat(one.engine().decision()).isNotDone();
    assertThat(two.engine().decision()).isNotDone();
    // muster status says it, and --check fails on it
    Path conf = dir.resolve("cli.conf");
    Files.writeString(
        conf,
        config(1, v1("clusterer.gospel.node = rabbit@127.0.0.1\n"))
            .replace("muster.api.port = 0", "muster.api.port = " + one.apiPort()));
    Cli.Result status = Cli.run("status", "--config", conf.toString());
    assertThat(status.out())
        .contains("config:       version 1, 3 nodes, gospel rabbit@127.0.0.1")
        .containsPattern("rabbit@127.0.0.3 +ram +no answer")
        .doesNotContain("attempts left")
        .contains("CONFLICT:     rabbit@127.0.0.2: its config version 1 differs");
    Cli.Result check = Cli.run("status", "--config", conf.toString(), "--check");
    assertThat(check.code()).isEqualTo(3);
    assertThat(check.out() + check.err()).contains("cluster config conflict: rabbit@127.0.0.2");
  }

  /** Version 1 of nodes 1 and 2 (node 3 comes with version 2), gospel node 1. */
  private static final String ONE_AND_TWO =
      "clusterer.version = 1\nclusterer.nodes.1 = rabbit@127.0.0.1\n"
          + "clusterer.nodes.2 = rabbit@127.0.0.2\nclusterer.gospel.node = rabbit@127.0.0.1\n";

  /** Version 2: node 3 added. */
  private static final String WITH_THREE =
      ONE_AND_TWO.replace("version = 1", "version = 2") + "clusterer.nodes.3 = rabbit@127.0.0.3\n";

  /** Agents 1 and 2 of a version-1 config whose gospel is node 1, formed; returns its id. */
  private String formedOneAndTwo() throws Exception {
    Agent one = start(1, ONE_AND_TWO);
    Agent two = start(2, ONE_AND_TWO);
    String id = decision(one).clusterId();
    decision(two);
    one.engine().complete();
    two.engine().complete();
    return id;
  }

  private void recordOfNodeThree(String clusterId) throws Exception {
    NodeName three = NodeName.parse("rabbit@127.0.0.3");
    new MembershipStore(dir.resolve("n3"))
        .write(
            new Membership(
                three,
                clusterId,
                java.util.Set.of(three, NodeName.parse("rabbit@127.0.0.9")),
                java.time.Instant.parse("2026-01-01T00:00:00Z")));
  }

  @Test
  void aNodeHoldingAnotherClustersDataWaitsForAnOperatorUnlessItCanBeReset() throws Exception {
    formedOneAndTwo();
    recordOfNodeThree("another-cluster");
    Agent three = start(3, WITH_THREE);
    awaitWaitingFor(
        three,
        "an operator: this node holds the data of cluster another-cluster",
        "muster.node.reset_command");
    assertThat(three.engine().decision()).isNotDone();
    assertThat(dir.resolve("n3/membership.json")).exists();
  }

  @Test
  void aRecordWithAnOldMemberListRejoinsWhenItsClusterIsTheGospels() throws Exception {
    String id = formedOneAndTwo();
    recordOfNodeThree(id); // the record lists 3 and 9, not the gospel 1, but names its cluster
    Agent three = start(3, WITH_THREE);
    Decision d = decision(three);
    assertThat(d).isInstanceOf(Decision.Rejoin.class);
    assertThat(d.clusterId()).isEqualTo(id);
  }

  @Test
  void underMusterExecANodeOfAnotherClusterIsResetBeforeItStartsAndJoins() throws Exception {
    String id = formedOneAndTwo();
    recordOfNodeThree("another-cluster");
    Path reset = dir.resolve("reset.sh");
    Files.writeString(
        reset, "#!/bin/sh\necho \"$MUSTER_NODE\" > " + dir.resolve("reset-ran") + "\n");
    reset.toFile().setExecutable(true);
    Path conf = dir.resolve("exec3.conf");
    Files.writeString(
        conf,
        config(
            3,
            WITH_THREE
                + "muster.node.reset_command = "
                + reset
                + "\nmuster.exec.ready.tcp = 127.0.0.1:1\nmuster.exec.ready.timeout = 10m\n"));
    Path child = dir.resolve("child-ran");
    Process exec =
        MusterExec.start(
            conf,
            dir.resolve("exec3.log"),
            "sh",
            "-c",
            "test -f "
                + dir.resolve("reset-ran")
                + " && echo \"$MUSTER_ACTION $MUSTER_SEED\" > "
                + child
                + "; exec sleep 120");
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.exists(child) && !Files.readString(child).isBlank());
      // reset first (the child saw its mark), then started to join the gospel's cluster
      assertThat(Files.readString(dir.resolve("reset-ran")).trim()).isEqualTo("rabbit@127.0.0.3");
      assertThat(Files.readString(child).trim()).startsWith("join rabbit@127.0.0.");
      assertThat(dir.resolve("n3/membership.json")).doesNotExist();
      assertThat(Files.readString(dir.resolve("exec3.log")))
          .contains("data is to be reset before it starts")
          .contains("cluster " + id);
    } finally {
      exec.destroy();
      if (!exec.waitFor(60, TimeUnit.SECONDS)) {
        exec.destroyForcibly();
      }
    }
  }

  /**
   * Gospel {@code reset} of a cluster that runs (the Clusterer: a new version with gospel reset
   * resets the entire cluster): three nodes under {@code muster exec} formed at version 1; version
   * 2 handed to one agent reaches the others, every node is stopped and reset, and the three form
   * one new cluster at version 2, seeded by the lowest-named.
   */
  @Test
  void gospelResetOfARunningClusterResetsEveryNodeUnderMusterExecAndFormsOneNewCluster()
      throws Exception {
    int[] api = Ports.distinct(3, 1);
    List<Process> execs = new ArrayList<>();
    try {
      for (int host = 1; host <= 3; host++) {
        Path reset = dir.resolve("reset" + host + ".sh");
        Files.writeString(
            reset, "#!/bin/sh\necho \"$MUSTER_NODE\" >> " + dir.resolve("reset-ran" + host) + "\n");
        reset.toFile().setExecutable(true);
        Path conf = dir.resolve("exec" + host + ".conf");
        Files.writeString(
            conf,
            config(host, v1("clusterer.gospel = reset\n"))
                    .replace("muster.api.port = 0", "muster.api.port = " + api[host - 1])
                + "muster.node.reset_command = "
                + reset
                + "\nmuster.exec.ready.command = true\nmuster.exec.stop_timeout = 10s\n");
        execs.add(
            MusterExec.start(
                conf,
                dir.resolve("exec" + host + ".log"),
                "sh",
                "-c",
                "echo \"$MUSTER_ACTION $MUSTER_CLUSTER_ID\" >> "
                    + dir.resolve("child" + host)
                    + "; exec sleep 600"));
      }
      List<String> first = awaitChildren(1);
      String oldId = first.get(0).split(" ")[1];
      assertThat(first).allSatisfy(line -> assertThat(line).endsWith(" " + oldId));

      HttpResponse<String> applied =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + api[1] + "/v1/cluster-config"))
                      .PUT(
                          HttpRequest.BodyPublishers.ofString(
                              "[{version, 2}, {nodes, [{'rabbit@127.0.0.1', disc},"
                                  + " {'rabbit@127.0.0.2', disc}, {'rabbit@127.0.0.3', ram}]},"
                                  + " {gospel, reset}]."))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);

      List<String> second = awaitChildren(2);
      String newId = second.get(0).split(" ")[1];
      assertThat(newId).isNotEqualTo(oldId);
      assertThat(second).allSatisfy(line -> assertThat(line).endsWith(" " + newId));
      assertThat(second.get(0)).startsWith("seed "); // the lowest-named seeds; the others join it
      assertThat(second.subList(1, 3)).allSatisfy(line -> assertThat(line).startsWith("join "));
      for (int host = 1; host <= 3; host++) {
        // reset once each, after it ran the old cluster, before it started again
        assertThat(Files.readAllLines(dir.resolve("reset-ran" + host)))
            .containsExactly("rabbit@127.0.0." + host);
        int h = host;
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(Files.readString(dir.resolve("n" + h + "/membership.json")))
                        .contains(newId)
                        .contains("\"config_version\" : 2"));
      }
      assertThat(Files.readString(dir.resolve("exec2.log")))
          .contains("version 2 has gospel reset, which resets every node")
          .contains("deciding again as a fresh node");
    } finally {
      execs.forEach(Process::destroy);
      for (Process p : execs) {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  /**
   * Waits (bounded) until each of the three exec'd children started {@code times} times; returns
   * line {@code times} of each (what it was started as: action and cluster id).
   */
  private List<String> awaitChildren(int times) {
    List<String> lines = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              lines.clear();
              for (int host = 1; host <= 3; host++) {
                Path f = dir.resolve("child" + host);
                assertThat(f).exists();
                List<String> all = Files.readAllLines(f);
                assertThat(all).hasSizeGreaterThanOrEqualTo(times);
                lines.add(all.get(times - 1).trim());
              }
            });
    return lines;
  }

  private static HttpResponse<String> put(Agent a, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + a.apiPort() + "/v1/cluster-config"))
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
