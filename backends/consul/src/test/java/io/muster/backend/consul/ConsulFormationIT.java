package io.muster.backend.consul;

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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Agents on the Consul backend against the Consul emulator (see {@link ConsulEmulator}). */
class ConsulFormationIT {

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} agents, jitter up to {1} ms, {2} trials")
  @CsvSource({"3, 0, 2", "5, 0, 3", "5, 500, 2", "7, 300, 1"})
  void oneSeedAndEveryOtherAgentJoinsItWhenAgentsBootTogether(int n, int jitterMs, int trials)
      throws Exception {
    for (int trial = 0; trial < trials; trial++) {
      try (ConsulEmulator consul = new ConsulEmulator(null).start();
          TestAgents agents = ConsulAgents.of(consul.address(), dir.resolve("t" + trial), "")) {
        List<Agent> started = new ArrayList<>();
        List<Decision> decisions =
            BootTogether.boot(agents::start, n, jitterMs, "the Consul emulator", started);
        BootTogether.assertOneCluster(decisions);
        for (Agent a : started) {
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(20)))
              .until(() -> AgentApi.peerNames(a.apiPort()).size() == n);
        }
      }
    }
  }

  @Test
  void laterAgentJoinsTheFormedClusterAndTheMarkerOutlivesTheSeedsSession() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent seed = agents.start(1);
      assertThat(seed.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      seed.engine().complete();
      Agent later = agents.start(2);
      Decision d = later.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.peers()).containsExactly(seed.node());
      later.engine().complete(); // a member now: its registration carries the cluster id
      seed.close(); // its sessions are destroyed; the formed marker must stay
      Agent third = agents.start(3);
      Decision thirds = third.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(thirds).isInstanceOf(Decision.Join.class);
      assertThat(thirds.peers()).containsExactly(later.node());
    }
  }

  /**
   * formation.md invariant 9 (issue 18): a seed's session must not depend on gossip. Created
   * without {@code Checks}, Consul binds a session to the node's serfHealth check, so a gossip flap
   * invalidated the seed's session and deleted its forming marker behind its back. Sessions now
   * pass {@code Checks: []} (TTL only): the flap touches none, and the seed stays seed.
   */
  /**
   * formation.md step 2: a second agent with the same node name (and so the same service ID) never
   * registers over the first one's service; after one check TTL it asks to exit with status 2,
   * naming both instances. Before this change it replaced the first one's registration.
   */
  @Test
  void aSecondAgentWithTheSameNodeNameNeverReplacesTheFirstsServiceAndExits() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.named(consul.address(), dir, "", i -> "rabbit@twin")) {
      Agent first = agents.start(1);
      assertThat(first.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      RawConsul raw = new RawConsul(consul.address(), null);
      String firstInstance = java.nio.file.Files.readString(dir.resolve("n1/instance-id")).strip();
      assertThat(raw.get("/v1/health/service/rabbitmq").body()).contains(firstInstance);

      Agent twin = agents.start(2);
      String reason = twin.exitRequested().get(60, TimeUnit.SECONDS);
      String twinInstance = java.nio.file.Files.readString(dir.resolve("n2/instance-id")).strip();
      assertThat(reason)
          .contains("same node name")
          .contains("rabbit@twin")
          .contains(firstInstance)
          .contains(twinInstance);
      assertThat(twin.engine().decision()).isCompletedExceptionally();
      String services = raw.get("/v1/health/service/rabbitmq").body();
      assertThat(services).contains(firstInstance).doesNotContain(twinInstance);
      assertThat(first.engine().complete().clusterId()).isNotBlank();
    }
  }

  /**
   * formation.md invariant 10: once every member lost its data only the audited {@code muster
   * formation retire} lets a new cluster form; a member wrongly taken for lost cannot put the
   * retired cluster's marker back.
   */
  @Test
  void aRetiredClusterLetsABlankNodeSeedAnewAndIsNeverReasserted() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent member = agents.start(1);
      String x = member.engine().decision().get(30, TimeUnit.SECONDS).clusterId();
      member.engine().complete();
      member.close();
      RawConsul raw = new RawConsul(consul.address(), null);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(
              () -> !raw.get("/v1/health/service/rabbitmq?passing=true").body().contains("node1"));
      java.nio.file.Path conf = dir.resolve("retire.conf");
      java.nio.file.Files.writeString(conf, agents.config(3));
      // its registration is gone, its data too: a blank node must wait, then retire lets it seed
      Agent blank = agents.start(2);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          // two rounds of "formed, no member registered: never seeding it again" at least
          .until(() -> blank.engine().status().attemptsLeft() <= 198);
      assertThat(blank.engine().decision()).isNotDone();
      assertThat(
              io.muster.cli.Main.execute(
                  "formation", "retire", "--config", conf.toString(), "--cluster-id", x, "--yes"))
          .isZero();
      Decision d = blank.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Seed.class);
      assertThat(d.clusterId()).isNotEqualTo(x);
      assertThat(raw.get("/v1/kv/rabbitmq/default/retired/" + x).status()).isEqualTo(200);
    }
  }

  @Test
  void aGossipFlapDoesNotEndASeedsClaim() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent seed = agents.start(1);
      Decision seeded = seed.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(seeded).isInstanceOf(Decision.Seed.class);
      assertThat(consul.sessionCount()).as("the seed's session").isPositive();
      assertThat(consul.flapSerfHealth()).as("sessions bound to serfHealth").isZero();
      RawConsul raw = new RawConsul(consul.address(), null);
      assertThat(raw.get("/v1/kv/rabbitmq/default/formation").body()).contains("\"Session\"");
      // its next confirmation still proves the claim: never withdrawn
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(
              () -> seed.engine().status().markerState(), m -> m != null && m.contains("proven"));
      assertThat(seed.engine().withdrawn()).isNull();
      assertThat(seed.engine().complete().clusterId()).isEqualTo(seeded.clusterId());
    }
  }

  /**
   * A seed whose session Consul invalidated (expired, destroyed by an operator) withdraws: its
   * forming marker went with the session and is never put back, since another agent may have seeded
   * meanwhile (formation.md invariant 9).
   */
  @Test
  void aSeedWhoseSessionWasInvalidatedWithdraws() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent seed = agents.start(1);
      assertThat(seed.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      RawConsul raw = new RawConsul(consul.address(), null);
      String session =
          new io.vertx.core.json.JsonArray(raw.get("/v1/kv/rabbitmq/default/formation").body())
              .getJsonObject(0)
              .getString("Session");
      assertThat(raw.put("/v1/session/destroy/" + session, "").status()).isEqualTo(200);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(() -> seed.engine().withdrawn() != null);
      assertThat(AgentApi.get(seed.apiPort(), "/health/ready")).contains("withdrawn");
      // the node aborts; the agent decides again with a new cluster id
      Decision aborted = seed.engine().abort();
      Decision again = seed.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(again).isInstanceOf(Decision.Seed.class);
      assertThat(again.clusterId()).isNotEqualTo(aborted.clusterId());
    }
  }

  /**
   * formation.md v2 step 5 (issue 18): Consul loses the formed marker (KV data lost, or restored
   * from an older snapshot); a formed member writes it back within muster.reassert_interval, and a
   * node that boots afterwards joins instead of seeding a second cluster.
   */
  @Test
  void lostFormedMarkerIsWrittenBackAndALaterAgentJoins() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent seed = agents.start(1);
      Decision seeded = seed.engine().decision().get(30, TimeUnit.SECONDS);
      seed.engine().complete();
      RawConsul raw = new RawConsul(consul.address(), null);
      String key = "/v1/kv/rabbitmq/default/formation";
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(() -> raw.get(key).status() == 200);
      assertThat(raw.delete(key).status()).isEqualTo(200);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .untilAsserted(
              () -> {
                RawConsul.Answer a = raw.get(key);
                assertThat(a.status()).as("the formed marker, written back").isEqualTo(200);
                String value =
                    new String(
                        java.util.Base64.getDecoder()
                            .decode(
                                new io.vertx.core.json.JsonArray(a.body())
                                    .getJsonObject(0)
                                    .getString("Value")));
                assertThat(value).contains("\"formed\"").contains(seeded.clusterId());
              });
      Agent later = agents.start(2);
      Decision d = later.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(seeded.clusterId());
    }
  }

  @Test
  void formedAgentsKeepNoSessionSoAtRestConsulOnlyHearsTheirChecks() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      List<Agent> started = new ArrayList<>();
      BootTogether.assertOneCluster(
          BootTogether.boot(agents::start, 3, 0, "the Consul emulator", started));
      BootTogether.completeSeedFirst(started);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .untilAsserted(() -> assertThat(consul.sessionCount()).as("sessions").isZero());
      RawConsul raw = new RawConsul(consul.address(), null);
      io.vertx.core.json.JsonObject marker =
          new io.vertx.core.json.JsonArray(raw.get("/v1/kv/rabbitmq/default/formation").body())
              .getJsonObject(0);
      assertThat(marker.getString("Session")).as("held by no session").isNull();
      assertThat(new String(java.util.Base64.getDecoder().decode(marker.getString("Value"))))
          .as("the formed marker outlives every session")
          .contains("\"formed\"");
      // A new agent still decides under the lock, with a lock session that goes after its decision.
      Agent late = agents.start(4);
      assertThat(late.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Join.class);
      await().atMost(Timing.scaled(Duration.ofSeconds(20))).until(() -> consul.sessionCount() == 0);
    }
  }

  @Test
  void cleanStopDeregistersTheServiceAndDestroysTheSessions() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent a = agents.start(1);
      a.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(consul.createIndex("rabbitmq:node1")).isPositive();
      // The forming marker's session stays until the seed's node completes; the lock's went with
      // the lock's release.
      await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> consul.sessionCount() == 1);
      a.close();
      assertThat(consul.createIndex("rabbitmq:node1")).isZero();
      assertThat(consul.sessionCount()).isZero();
      RawConsul raw = new RawConsul(consul.address(), null);
      assertThat(raw.get("/v1/kv/rabbitmq/default/formation").status())
          .as("the unfinished seed's forming marker went with its session")
          .isEqualTo(404);
    }
  }

  @Test
  void lockWaitIsBoundedByLockTimeoutAndNamesTheHolder() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents holderSide = ConsulAgents.of(consul.address(), dir.resolve("h"), "");
        TestAgents agents =
            ConsulAgents.of(
                consul.address(),
                dir.resolve("w"),
                "cluster_formation.consul.lock_timeout = 1\n")) {
      Process holder = LockHolders.spawnHolder(holderSide, 9);
      Agent waiting = agents.start(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(
              () ->
                  String.valueOf(waiting.engine().lockState())
                      .contains("waited lock_timeout 1 s; held by rabbit@node9"));
      assertThat(waiting.engine().decision()).isNotDone();
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
      assertThat(waiting.engine().decision().get(60, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
    }
  }

  @Test
  void newAgentSeesANewPeerThroughTheBlockingQueryWithoutPolling() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent first = agents.start(1);
      first.engine().decision().get(30, TimeUnit.SECONDS);
      // The run phase re-reads only on watch events (the safety re-read is 5 minutes away).
      agents.start(2);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> AgentApi.peerNames(first.apiPort()).contains("rabbit@node2"));
    }
  }

  @Test
  void lockHeldByAKilledProcessIsFreedBySessionExpiryAndOneWaitingAgentSeeds() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      List<Decision> decisions =
          LockHolders.killHolderWhileAgentsWait(
              agents, 9, 3, Duration.ofSeconds(60), "Consul, session ttl 10 s");
      BootTogether.assertOneCluster(decisions);
    }
  }

  @Test
  void killedAgentsCheckTurnsCriticalAndItLeavesThePassingList() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent watcher = agents.start(1);
      watcher.engine().decision().get(30, TimeUnit.SECONDS);
      Process victim = agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> AgentApi.peerNames(watcher.apiPort()).contains("rabbit@node2"));
      long t0 = System.nanoTime();
      victim.destroyForcibly();
      victim.waitFor(10, TimeUnit.SECONDS);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(2 + 10)))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !AgentApi.peerNames(watcher.apiPort()).contains("rabbit@node2"));
      System.out.printf(
          "[figure] kill -9 to leaving the passing list on the Consul emulator (svc_ttl 2 s): %d"
              + " ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
  }

  @Test
  void serviceReapedByConsulIsRegisteredAgainByTheNextHeartbeat() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents agents = ConsulAgents.of(consul.address(), dir, "")) {
      Agent a = agents.start(1);
      a.engine().decision().get(30, TimeUnit.SECONDS);
      long before = consul.createIndex("rabbitmq:node1");
      assertThat(before).isPositive();
      consul.reap("rabbitmq:node1");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> consul.createIndex("rabbitmq:node1") > before);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> AgentApi.peerNames(a.apiPort()).contains("rabbit@node1"));
    }
  }

  @Test
  void instancesWithWarningsAreLeftOutUnlessIncluded() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start();
        TestAgents strict = ConsulAgents.of(consul.address(), dir.resolve("s"), "");
        TestAgents lenient =
            ConsulAgents.of(
                consul.address(),
                dir.resolve("l"),
                "cluster_formation.consul.include_nodes_with_warnings = true\n")) {
      Agent s = strict.start(1);
      Agent l = lenient.start(2);
      s.engine().decision().get(30, TimeUnit.SECONDS);
      l.engine().decision().get(30, TimeUnit.SECONDS);
      // A third instance whose TTL check is in the warning state.
      String warned =
          "{\"ID\":\"rabbitmq:node3\",\"Name\":\"rabbitmq\",\"Address\":\"node3\",\"Port\":5672,"
              + "\"Meta\":{\"erlang-node-name\":\"rabbit@node3\"},"
              + "\"Check\":{\"CheckID\":\"service:rabbitmq:node3\",\"TTL\":\"10m\","
              + "\"Status\":\"warning\"}}";
      new RawConsul(consul.address(), null).put("/v1/agent/service/register", warned);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> AgentApi.peerNames(l.apiPort()).contains("rabbit@node3"));
      assertThat(AgentApi.peerNames(s.apiPort())).doesNotContain("rabbit@node3");
    }
  }

  @Test
  void wrongAclTokenIsReportedWithTheAddressAndNeverTheToken() throws Exception {
    String secret = "b1gs3cr3t-token-0000";
    try (ConsulEmulator consul = new ConsulEmulator(secret).start();
        TestAgents wrong =
            ConsulAgents.of(
                consul.address(),
                dir.resolve("w"),
                "cluster_formation.consul.acl_token = not-" + secret + "\n");
        TestAgents right =
            ConsulAgents.of(
                consul.address(),
                dir.resolve("r"),
                "cluster_formation.consul.acl_token = " + secret + "\n")) {
      Agent bad = wrong.start(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .until(
              () -> AgentApi.get(bad.apiPort(), "/v1/status").contains("ACL token rejected (403"));
      String status = AgentApi.get(bad.apiPort(), "/v1/status");
      assertThat(status)
          .contains("consul http://127.0.0.1:" + consul.port())
          .doesNotContain(secret);
      assertThat(bad.engine().decision()).isNotDone();
      Agent good = right.start(2);
      assertThat(good.engine().decision().get(30, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      assertThat(AgentApi.get(good.apiPort(), "/v1/status")).doesNotContain(secret);
    }
  }
}
