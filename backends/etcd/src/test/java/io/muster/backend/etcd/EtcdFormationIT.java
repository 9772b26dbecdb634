package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.BootTogether;
import io.muster.testing.LockHolders;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Agents on one real etcd member: the formation lock, markers, lease expiry and kill -9. */
class EtcdFormationIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  private static String lockName(String cluster) {
    return new EtcdPaths("rabbitmq", cluster).lockName();
  }

  static List<Decision> bootTogether(TestAgents agents, int n, int maxJitterMs, List<Agent> out)
      throws Exception {
    return BootTogether.boot(agents::start, n, maxJitterMs, "real etcd", out);
  }

  @ParameterizedTest(name = "{0} agents, jitter up to {1} ms, {2} trials")
  @CsvSource({"3, 0, 3", "3, 300, 3", "5, 0, 2", "5, 500, 2", "7, 0, 2", "7, 700, 2", "10, 0, 1"})
  void oneSeedAndEveryOtherAgentJoinsItWhenAgentsBootTogether(int n, int jitterMs, int trials)
      throws Exception {
    for (int trial = 0; trial < trials; trial++) {
      String cluster = "boot-" + n + "-" + jitterMs + "-" + trial;
      try (LockObserver lock = new LockObserver(ETCD.client(), lockName(cluster));
          TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
        List<Agent> started = new ArrayList<>();
        List<Decision> decisions = bootTogether(agents, n, jitterMs, started);
        BootTogether.assertOneCluster(decisions);
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(10)))
            .untilAsserted(() -> assertThat(lock.grants()).hasSize(n));
        assertThat(lock.overlaps()).as("moments with two lock holders").isEmpty();
      }
    }
  }

  @Test
  void laterAgentJoinsTheFormedClusterAndNeverSeedsIt() throws Exception {
    String cluster = "later";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent seed = agents.start(1);
      assertThat(seed.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      seed.engine().complete();
      Agent later = agents.start(2);
      Decision d = later.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.peers()).containsExactly(seed.node());
      io.vertx.core.json.JsonObject status =
          new io.vertx.core.json.JsonObject(AgentApi.get(later.apiPort(), "/v1/status"));
      assertThat(status.getString("registration")).contains("under lease");
      assertThat(status.getJsonObject("formation").getString("lock")).startsWith("released at");
      assertThat(
              ETCD.client()
                  .getKVClient()
                  .get(EtcdPaths.bytes(new EtcdPaths("rabbitmq", cluster).markerKey()))
                  .get()
                  .getKvs())
          .singleElement()
          .satisfies(kv -> assertThat(kv.getLease()).as("formed marker has no lease").isZero());
    }
  }

  @Test
  void restartedAgentRejoinsFromItsRecordAndRegistersAgain() throws Exception {
    String cluster = "rejoin";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent first = agents.start(1);
      first.engine().decision().get(30, TimeUnit.SECONDS);
      first.engine().complete(); // records the membership in its data dir
      first.close(); // clean stop: its key is deleted
      String nodes = new EtcdPaths("rabbitmq", cluster).nodesPrefix();
      assertThat(keys(nodes)).isEmpty();
      Agent again = agents.start(1);
      assertThat(again.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Rejoin.class);
      // Others must still see it (their joiners' lists, their cleanup): it registers again.
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(() -> assertThat(keys(nodes)).containsExactly("rabbit@node1"));
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () ->
                  assertThat(AgentApi.peerNames(again.apiPort())).containsExactly("rabbit@node1"));
    }
  }

  @Test
  void formedClusterWithNoLiveMemberMakesANewAgentWaitInsteadOfSeeding() throws Exception {
    String cluster = "orphan";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent seed = agents.start(1);
      seed.engine().decision().get(30, TimeUnit.SECONDS);
      seed.engine().complete();
      seed.close(); // clean stop: its key is deleted, the formed marker stays
      Agent later = agents.start(2);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(() -> String.valueOf(later.engine().waitingFor()).contains("never seeding"));
      assertThat(later.engine().decision()).isNotDone();
    }
  }

  @Test
  void killedAgentVanishesFromOtherAgentsPeersWithinTheLeaseTtl() throws Exception {
    String cluster = "kill9";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent watcher = agents.start(1);
      watcher.engine().decision().get(30, TimeUnit.SECONDS);
      Process victim = agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> AgentApi.peerNames(watcher.apiPort()).contains("rabbit@node2"));
      long t0 = System.nanoTime();
      victim.destroyForcibly(); // SIGKILL: no unregister, the lease must expire
      victim.waitFor(10, TimeUnit.SECONDS);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(3 + 10)))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !AgentApi.peerNames(watcher.apiPort()).contains("rabbit@node2"));
      System.out.printf(
          "[figure] kill -9 to disappearance from /v1/peers (node_ttl 3 s): %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      assertThat(AgentApi.stale(watcher.apiPort())).isFalse();
    }
  }

  @Test
  void lockHeldByAKilledProcessPassesToOneWaitingAgentWithinTheLockLeaseTtl() throws Exception {
    String cluster = "lockkill";
    try (LockObserver lock = new LockObserver(ETCD.client(), lockName(cluster));
        TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      List<Decision> decisions =
          LockHolders.killHolderWhileAgentsWait(
              agents, 9, 3, Duration.ofSeconds(30), "etcd, lock lease ttl 3 s");
      BootTogether.assertOneCluster(decisions);
      assertThat(lock.overlaps()).isEmpty();
      assertThat(lock.grants()).startsWith("rabbit@node9");
    }
  }

  @Test
  void stoppingAnAgentThatWaitsForTheLockWithdrawsItFromTheQueueAndUnregisters() throws Exception {
    String cluster = "stopwait";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Process holder = LockHolders.spawnHolder(agents, 9);
      Agent waiting = agents.start(1);
      String lock = lockName(cluster) + "/";
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(
              () ->
                  keys(lock).size() == 2
                      && "the formation lock".equals(waiting.engine().waitingFor()));
      waiting.close();
      assertThat(keys(lock)).as("only the holder's key is left").hasSize(1);
      assertThat(keys(new EtcdPaths("rabbitmq", cluster).nodesPrefix()))
          .containsExactly("rabbit@node9");
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void lockWaitIsBoundedByLockTimeoutAndNamesTheHolder() throws Exception {
    String cluster = "timeout";
    try (TestAgents holderSide = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "");
        TestAgents agents =
            EtcdAgents.of(
                ETCD, dir.resolve(cluster), cluster, "cluster_formation.etcd.lock_timeout = 1\n")) {
      Process holder = LockHolders.spawnHolder(holderSide, 9);
      Agent waiting = agents.start(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(
              () ->
                  String.valueOf(waiting.engine().lockState())
                      .contains("waited lock_timeout 1 s; held by rabbit@node9"));
      assertThat(waiting.engine().decision()).isNotDone();
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(() -> waiting.engine().attemptsLeft() <= 97);
      assertThat(keys(lockName(cluster) + "/"))
          .as("timed-out waiters leave the queue: the holder and at most the current attempt")
          .hasSizeLessThanOrEqualTo(2);
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
      assertThat(waiting.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
    }
  }

  /** Every key in the store (from the lowest key to the end of the keyspace). */
  private static List<io.etcd.jetcd.KeyValue> everyKey() throws Exception {
    return ETCD.client()
        .getKVClient()
        .get(
            EtcdPaths.bytes("\0"),
            io.etcd.jetcd.options.GetOption.builder().withRange(EtcdPaths.bytes("\0")).build())
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  private static List<String> keys(String prefix) throws Exception {
    return ETCD
        .client()
        .getKVClient()
        .get(
            EtcdPaths.bytes(prefix),
            io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS)
        .getKvs()
        .stream()
        .map(kv -> EtcdPaths.text(kv.getKey()).substring(prefix.length()))
        .toList();
  }

  /**
   * formation.md v2 step 5 (issue 18): etcd loses everything after the cluster formed (every key
   * and lease gone, as after a wipe or a restore from an empty backup). The formed members put the
   * formed marker back, and a node that boots afterwards joins them instead of seeding a second
   * cluster. Before re-assertion, the marker stayed gone and the new node seeded.
   */
  @Test
  void wipedStoreGetsTheFormedMarkerBackAndALaterAgentJoins() throws Exception {
    String cluster = "wiped";
    EtcdPaths paths = new EtcdPaths("rabbitmq", cluster);
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent seed = agents.start(1);
      Decision seeded = seed.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(seeded).isInstanceOf(Decision.Seed.class);
      seed.engine().complete();
      Agent joiner = agents.start(2);
      assertThat(joiner.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Join.class);
      joiner.engine().complete();

      // the wipe: every key, and every lease a key was bound to (the agents' registrations)
      var all = everyKey();
      ETCD.client()
          .getKVClient()
          .delete(
              EtcdPaths.bytes("\0"),
              io.etcd.jetcd.options.DeleteOption.builder().withRange(EtcdPaths.bytes("\0")).build())
          .get(5, TimeUnit.SECONDS);
      for (long lease :
          all.stream().mapToLong(k -> k.getLease()).filter(l -> l != 0).distinct().toArray()) {
        ETCD.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
      }

      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .untilAsserted(
              () ->
                  assertThat(
                          ETCD.client()
                              .getKVClient()
                              .get(EtcdPaths.bytes(paths.markerKey()))
                              .get(5, TimeUnit.SECONDS)
                              .getKvs())
                      .as("the formed marker, written back by a formed member")
                      .hasSize(1));
      var kv =
          ETCD.client().getKVClient().get(EtcdPaths.bytes(paths.markerKey())).get().getKvs().get(0);
      assertThat(kv.getLease()).as("the re-asserted marker has no lease").isZero();
      assertThat(kv.getValue().toString(java.nio.charset.StandardCharsets.UTF_8))
          .contains("formed")
          .contains(seeded.clusterId());

      Agent later = agents.start(3);
      Decision d = later.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).as("a node booting after the wipe").isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(seeded.clusterId());
      io.vertx.core.json.JsonObject status =
          new io.vertx.core.json.JsonObject(AgentApi.get(seed.apiPort(), "/v1/status"));
      assertThat(status.getJsonObject("formation").getString("marker"))
          .isEqualTo("formed, cluster " + seeded.clusterId());
    }
  }

  @Test
  void keyDeletedByHandIsPutBackUnderItsLiveLease() throws Exception {
    String cluster = "deleted";
    try (TestAgents agents = EtcdAgents.of(ETCD, dir.resolve(cluster), cluster, "")) {
      Agent a = agents.start(1);
      a.engine().decision().get(30, TimeUnit.SECONDS);
      String key = new EtcdPaths("rabbitmq", cluster).nodesPrefix() + "rabbit@node1";
      long lease =
          ETCD.client().getKVClient().get(EtcdPaths.bytes(key)).get().getKvs().get(0).getLease();
      ETCD.client().getKVClient().delete(EtcdPaths.bytes(key)).get();
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(
              () -> {
                var kvs = ETCD.client().getKVClient().get(EtcdPaths.bytes(key)).get().getKvs();
                return !kvs.isEmpty() && kvs.get(0).getLease() == lease;
              });
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(() -> AgentApi.peerNames(a.apiPort()).contains("rabbit@node1"));
    }
  }
}
