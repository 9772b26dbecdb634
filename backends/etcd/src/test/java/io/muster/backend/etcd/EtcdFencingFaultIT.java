package io.muster.backend.etcd;

import static io.muster.backend.etcd.AgentProcess.awaitDecision;
import static io.muster.backend.etcd.AgentProcess.formation;
import static io.muster.backend.etcd.AgentProcess.post;
import static io.muster.backend.etcd.AgentProcess.signal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md invariant 9 on real etcd with a real process: a seed's agent (its own JVM, {@code
 * muster run}) is frozen with SIGSTOP for three times node_ttl while its node has not completed.
 * Its lease lapses, so etcd lets a second agent take the lock and seed anew: that cannot be helped
 * while the first is frozen. Resumed with SIGCONT, the first must withdraw at once (before this
 * change it stayed {@code seed} and ready beside the new seed): {@code POST /v1/formation} answers
 * {@code abort}, {@code /health/ready} fails, and once its node aborts it joins the new seed's
 * cluster. Runs in the {@code faults} profile (scripts/test).
 */
class EtcdFencingFaultIT {

  private static final Duration TTL = Duration.ofSeconds(3);

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  @Test
  void aSeedFrozenPastItsLeaseWithdrawsWhenItResumesAndThenJoinsTheNewSeed() throws Exception {
    try (TestAgents agents = EtcdAgents.of(ETCD, dir, "fencing", "")) {
      Process frozen = agents.spawn(1, "io.muster.cli.Main", "run", "--config", "{conf}");
      int port = agents.spawnedApiPort(1);
      JsonObject first;
      try {
        first = awaitDecision(port);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("no decision; the agent's log:\n" + agents.log(1), e);
      }
      assertThat(first.getString("action")).isEqualTo("seed");
      assertThat(AgentApi.get(port, "/health/ready")).contains("\"ready\"");

      long stoppedAt = System.nanoTime();
      signal(frozen, "STOP");
      try {
        // While it is frozen its lease lapses (its registration and forming marker go with it),
        // and etcd gives the claim away: a second agent booting then seeds.
        awaitNoRegistration("fencing");
        Agent second = agents.start(2);
        Decision d = second.engine().decision().get(60, TimeUnit.SECONDS);
        assertThat(d)
            .as("the second agent, once the frozen seed's lease lapsed")
            .isInstanceOf(Decision.Seed.class);
        assertThat(d.clusterId()).isNotEqualTo(first.getString("cluster_id"));
        // The pause itself is the scenario (three TTLs), not a wait for a condition.
        long rest = TTL.multipliedBy(3).toMillis() - (System.nanoTime() - stoppedAt) / 1_000_000;
        if (rest > 0) {
          TimeUnit.MILLISECONDS.sleep(rest);
        }
      } finally {
        signal(frozen, "CONT");
      }
      long resumedAt = System.nanoTime();

      // Resumed, it checks its deadline before anything else and withdraws.
      JsonObject abort =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(10)))
              .pollInterval(Duration.ofMillis(50))
              .until(() -> formation(port), f -> "abort".equals(f.getString("action")));
      long withdrawnMs = (System.nanoTime() - resumedAt) / 1_000_000;
      assertThat(abort.getString("reason")).contains("claim");
      assertThat(AgentApi.get(port, "/health/ready")).contains("withdrawn");
      JsonObject status = AgentApi.status(port).getJsonObject("formation");
      assertThat(status.getString("phase")).isEqualTo("withdrawn");
      assertThat(status.getString("withdrawn")).isNotBlank();

      // The node stopped and reset itself: it aborts, and the agent decides again: join.
      assertThat(post(port, "/v1/formation/abort")).isEqualTo(200);
      JsonObject again = awaitDecision(port);
      assertThat(again.getString("action")).isEqualTo("join");
      assertThat(again.getString("seed")).isEqualTo("rabbit@node2");
      assertThat(again.getString("cluster_id")).isNotEqualTo(first.getString("cluster_id"));
      System.out.printf(
          "[figure] fencing (node_ttl %d s, frozen %d s): the resumed seed answered abort %d ms"
              + " after SIGCONT%n",
          TTL.toSeconds(), TTL.multipliedBy(3).toSeconds(), withdrawnMs);
    }
  }

  /**
   * The same under {@code muster exec}, which can really stop the node: resumed, the agent stops
   * its child, runs {@code muster.node.reset_command} (the node never completed), aborts, and
   * starts the child again with the new decision: join the second seed.
   */
  @Test
  void underExecAFrozenSeedsNodeIsStoppedResetAndStartedAgainAsAJoiner() throws Exception {
    Path starts = dir.resolve("starts.txt");
    Path resets = dir.resolve("resets.txt");
    try (TestAgents agents =
        EtcdAgents.of(
            ETCD,
            dir,
            "fencing-exec",
            "muster.node.reset_command = " + dir.resolve("reset.sh") + "\n")) {
      java.nio.file.Files.writeString(
          dir.resolve("reset.sh"), "#!/bin/sh\necho \"reset $MUSTER_ACTION\" >> " + resets + "\n");
      dir.resolve("reset.sh").toFile().setExecutable(true);
      java.nio.file.Files.writeString(
          dir.resolve("node.sh"),
          "#!/bin/sh\necho \"$MUSTER_ACTION $MUSTER_CLUSTER_ID $$\" >> "
              + starts
              + "\nexec sleep 600\n");
      dir.resolve("node.sh").toFile().setExecutable(true);
      Process frozen =
          agents.spawn(
              1,
              "io.muster.cli.Main",
              "exec",
              "--config",
              "{conf}",
              "--",
              dir.resolve("node.sh").toString());
      List<String> first =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(60)))
              .until(() -> lines(starts), l -> l.size() == 1);
      assertThat(first.get(0)).startsWith("seed ");
      long childPid = Long.parseLong(first.get(0).split(" ")[2]);

      signal(frozen, "STOP");
      try {
        awaitNoRegistration("fencing-exec");
        Agent second = agents.start(2);
        assertThat(second.engine().decision().get(60, TimeUnit.SECONDS))
            .isInstanceOf(Decision.Seed.class);
        // the frozen agent's child kept running all along: only its agent was stopped
        assertThat(ProcessHandle.of(childPid).map(ProcessHandle::isAlive)).contains(true);
        second.engine().complete();
      } finally {
        signal(frozen, "CONT");
      }
      List<String> after =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(60)))
              .until(() -> lines(starts), l -> l.size() == 2);
      assertThat(after.get(1)).startsWith("join ");
      assertThat(ProcessHandle.of(childPid).map(ProcessHandle::isAlive).orElse(false))
          .as("the first child, stopped on the withdrawal")
          .isFalse();
      assertThat(lines(resets)).as("resets before the second start").containsExactly("reset seed");
      assertThat(frozen.isAlive()).isTrue();
      assertThat(agents.log(1)).contains("withdrawn");
    }
  }

  /** Waits until the frozen agent's lease lapsed: its registration is gone from etcd. */
  private static void awaitNoRegistration(String cluster) {
    try (Client client =
        Client.builder().endpoints(ETCD.clientUrls().toArray(String[]::new)).build()) {
      await()
          .atMost(Timing.scaled(TTL.multipliedBy(5)))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> EtcdAgents.leases(client, cluster).isEmpty());
    }
  }

  private static List<String> lines(Path f) throws java.io.IOException {
    return java.nio.file.Files.exists(f) ? java.nio.file.Files.readAllLines(f) : List.of();
  }
}
