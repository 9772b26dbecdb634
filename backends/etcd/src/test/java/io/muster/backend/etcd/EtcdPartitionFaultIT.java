package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network partition on real etcd: three agents in this JVM reach etcd on 127.0.0.1, a fourth runs
 * as its own JVM inside a {@link NetNamespace} and reaches etcd through the veth pair. The link is
 * cut for three times node_ttl (3 s) and healed. Skipped, with the reason, where network namespaces
 * are refused. Runs in the {@code faults} profile (scripts/test).
 */
class EtcdPartitionFaultIT {

  private static final Duration TTL = Duration.ofSeconds(3);

  /** Three times the TTL; {@code -Dmuster.partition.cut_seconds=N} tries a longer partition. */
  private static final Duration CUT =
      Duration.ofSeconds(Long.getLong("muster.partition.cut_seconds", 3 * TTL.toSeconds()));

  private static final int INSIDE = 4;

  /** The namespace has a port space of its own, so the inside agent's API port is fixed. */
  private static final int INSIDE_API_PORT = 7070;

  private static final String CLUSTER = "partition";
  private static final List<String> ALL =
      List.of("rabbit@node1", "rabbit@node2", "rabbit@node3", "rabbit@node4");
  private static final List<String> OUTSIDE = ALL.subList(0, 3);
  private static final Pattern DECISION = Pattern.compile("Decision: (\\w+)");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  private static String config(EtcdCluster etcd, NetNamespace ns, Path dir, int i) {
    boolean inside = i == INSIDE;
    return "muster.node_name = rabbit@node"
        + i
        + "\nmuster.api.port = "
        + (inside ? INSIDE_API_PORT : 0)
        + "\nmuster.data_dir = "
        + dir.resolve("n" + i)
        + "\ncluster_formation.peer_discovery_backend = etcd\n"
        + etcd.endpointsConfig(inside ? ns.hostAddress() : "127.0.0.1")
        + "cluster_formation.etcd.cluster_name = "
        + CLUSTER
        + "\ncluster_formation.etcd.node_ttl = "
        + TTL.toSeconds()
        + "\ncluster_formation.discovery_retry_interval = 200\n"
        + "cluster_formation.discovery_retry_limit = 100\n";
  }

  @Test
  void agentCutFromEtcdBeyondItsTtlLeavesTheOthersListsAndComesBackAfterTheHealWithoutANewSeed()
      throws Exception {
    try (NetNamespace ns = NetNamespace.createOrSkip()) {
      EtcdCluster etcd = EtcdCluster.singleAlsoOn(ns.hostAddress());
      try (etcd;
          TestAgents agents = new TestAgents(dir, i -> config(etcd, ns, dir, i))) {
        etcd.startAll();
        try {
          partitionAndHeal(ns, etcd, agents);
        } catch (AssertionError | RuntimeException e) {
          // The inside agent's own account of the partition, for whoever reads a failed run.
          System.out.println("[log] rabbit@node4 (inside the namespace):\n" + agents.log(INSIDE));
          throw e;
        }
      }
    }
  }

  private void partitionAndHeal(NetNamespace ns, EtcdCluster etcd, TestAgents agents)
      throws Exception {
    Inside inside = new Inside(ns, agents);

    // Form: node1 (in this JVM) seeds; node2, node3 and the inside agent join it.
    Agent seed = agents.start(1);
    assertThat(seed.engine().decision().get(30, TimeUnit.SECONDS))
        .isInstanceOf(Decision.Seed.class);
    post(seed.apiPort(), "/v1/formation/complete");
    Process child =
        agents.spawn(INSIDE, ns.execPrefix(), "io.muster.cli.Main", "run", "--config", "{conf}");
    List<Agent> outside = List.of(seed, agents.start(2), agents.start(3));
    String clusterId = seed.engine().decision().get().clusterId();
    for (Agent a : outside.subList(1, 3)) {
      Decision d = a.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(clusterId);
      post(a.apiPort(), "/v1/formation/complete");
    }
    JsonObject insideDecision = inside.awaitDecision();
    assertThat(insideDecision.getString("action")).isEqualTo("join");
    assertThat(insideDecision.getString("cluster_id")).isEqualTo(clusterId);
    inside.complete();
    for (Agent a : outside) {
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(() -> AgentApi.peerNames(a.apiPort()).equals(ALL));
    }
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> inside.peers().equals(fresh(ALL)));
    // Every new decision takes the lock and a seed writes a forming marker: a formed marker left
    // untouched (same revision) means nobody anywhere decided seed.
    StoredMarker marker = marker(etcd);
    assertThat(marker.value().getString("state")).isEqualTo("formed");
    assertThat(marker.value().getString("cluster_id")).isEqualTo(clusterId);
    List<Decision> decisions = decisions(outside);
    assertThat(inside.decisionsLogged()).containsExactly("join");

    // Cut for longer than the TTL: the inside agent's lease expires in etcd.
    long cutAt = System.nanoTime();
    ns.cut();
    for (Agent a : outside) {
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> AgentApi.peerNames(a.apiPort()).equals(OUTSIDE));
    }
    long goneMs = msSince(cutAt);
    // The cut agent keeps running and serves its last good list, flagged stale.
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> inside.peers().equals(stale(ALL)));
    long staleMs = msSince(cutAt);
    // The cut lasting 3x TTL is the scenario itself, not a wait for a condition.
    long rest = CUT.toMillis() - msSince(cutAt);
    if (rest > 0) {
      TimeUnit.MILLISECONDS.sleep(rest);
    }
    assertThat(child.isAlive()).as("the cut agent is still running").isTrue();
    assertThat(inside.peers()).isEqualTo(stale(ALL));
    for (Agent a : outside) {
      assertThat(AgentApi.peerNames(a.apiPort())).isEqualTo(OUTSIDE);
      assertThat(AgentApi.stale(a.apiPort())).isFalse();
    }
    assertThat(marker(etcd)).as("the formed marker during the cut").isEqualTo(marker);
    assertThat(decisions(outside)).isEqualTo(decisions);
    long cutMs = msSince(cutAt);

    // Heal: the inside agent registers again by itself; nobody decides anything new.
    long healAt = System.nanoTime();
    ns.heal();
    for (Agent a : outside) {
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> AgentApi.peerNames(a.apiPort()).equals(ALL));
    }
    long backMs = msSince(healAt);
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> inside.peers().equals(fresh(ALL)));
    long freshMs = msSince(healAt);
    for (Agent a : outside) {
      assertThat(AgentApi.stale(a.apiPort())).isFalse();
    }
    assertThat(child.isAlive()).isTrue();
    assertThat(marker(etcd)).as("the formed marker after the heal").isEqualTo(marker);
    assertThat(decisions(outside)).isEqualTo(decisions);
    assertThat(inside.decision()).isEqualTo(insideDecision);
    assertThat(inside.decisionsLogged())
        .as("decisions in the inside agent's log")
        .containsExactly("join");
    assertThat(agents.log(INSIDE)).contains("Re-registered " + etcdKey());

    System.out.printf(
        "[figure] partition (node_ttl %d s, cut %d ms): cut agent gone from all 3 others' lists"
            + " %d ms after the cut; its own list stale after %d ms%n",
        TTL.toSeconds(), cutMs, goneMs, staleMs);
    System.out.printf(
        "[figure] partition heal: cut agent back in all 3 others' lists %d ms after the heal;"
            + " its own list fresh after %d ms%n",
        backMs, freshMs);
    if (Boolean.getBoolean("muster.partition.log")) {
      System.out.println("[log] rabbit@node4 (inside the namespace):\n" + agents.log(INSIDE));
    }
  }

  private static String etcdKey() {
    return new EtcdPaths("rabbitmq", CLUSTER).nodeKey(io.muster.spi.NodeName.parse(ALL.get(3)));
  }

  private static List<Decision> decisions(List<Agent> agents) {
    return agents.stream().map(a -> a.engine().decision().getNow(null)).toList();
  }

  /** The formation marker's value and the revision it was last written at. */
  private record StoredMarker(JsonObject value, long modRevision) {}

  private static StoredMarker marker(EtcdCluster etcd) throws IOException, InterruptedException {
    String key = new EtcdPaths("rabbitmq", CLUSTER).markerKey();
    JsonObject kv =
        new JsonObject(etcd.etcdctl("get", key, "-w", "json")).getJsonArray("kvs").getJsonObject(0);
    return new StoredMarker(
        new JsonObject(
            new String(Base64.getDecoder().decode(kv.getString("value")), StandardCharsets.UTF_8)),
        kv.getLong("mod_revision"));
  }

  /** What an agent's {@code GET /v1/peers} says, reduced to what the test compares. */
  private record PeerList(List<String> peers, boolean stale) {}

  private static PeerList fresh(List<String> names) {
    return new PeerList(names, false);
  }

  private static PeerList stale(List<String> names) {
    return new PeerList(names, true);
  }

  private static long msSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static void post(int port, String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("POST %s: %s", path, r.body()).isEqualTo(200);
  }

  /**
   * The agent inside the namespace: its API answers only there, so it is driven with curl run
   * through {@code ip netns exec}, each call bounded.
   */
  private static final class Inside {
    private final NetNamespace ns;
    private final TestAgents agents;

    Inside(NetNamespace ns, TestAgents agents) {
      this.ns = ns;
      this.agents = agents;
    }

    private NetNamespace.Result curl(String... args) throws IOException, InterruptedException {
      String[] cmd = new String[args.length + 4];
      cmd[0] = "curl";
      cmd[1] = "-sS";
      cmd[2] = "-m";
      cmd[3] = "5";
      System.arraycopy(args, 0, cmd, 4, args.length);
      return ns.runInside(Duration.ofSeconds(10), cmd);
    }

    private static String url(String path) {
      return "http://127.0.0.1:" + INSIDE_API_PORT + path;
    }

    /** Its decision, once taken (the child JVM needs a few seconds to start). */
    JsonObject awaitDecision() {
      JsonObject[] d = new JsonObject[1];
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                NetNamespace.Result r = curl("-f", "-XPOST", url("/v1/formation?wait=2s"));
                if (r.ok()) {
                  d[0] = new JsonObject(r.output());
                }
                return r.ok();
              });
      return d[0];
    }

    void complete() throws IOException, InterruptedException {
      NetNamespace.Result r = curl("-f", "-XPOST", url("/v1/formation/complete"));
      assertThat(r.ok()).as("complete inside: %s", r.output()).isTrue();
    }

    /** Its decision as its status page reports it. */
    JsonObject decision() throws IOException, InterruptedException {
      NetNamespace.Result r = curl("-f", url("/v1/status"));
      assertThat(r.ok()).as("status inside: %s", r.output()).isTrue();
      return new JsonObject(r.output()).getJsonObject("formation").getJsonObject("decision");
    }

    /** Its {@code /v1/peers}, or null if it does not answer. */
    PeerList peers() throws IOException, InterruptedException {
      NetNamespace.Result r = curl("-f", url("/v1/peers"));
      if (!r.ok()) {
        return null;
      }
      JsonObject p = new JsonObject(r.output());
      return new PeerList(
          p.getJsonArray("peers").stream().map(Object::toString).toList(), p.getBoolean("stale"));
    }

    /** Every "Decision: X" its log holds, in order. */
    List<String> decisionsLogged() throws IOException {
      Matcher m = DECISION.matcher(agents.log(INSIDE));
      List<String> out = new java.util.ArrayList<>();
      while (m.find()) {
        out.add(m.group(1));
      }
      return out;
    }
  }
}
