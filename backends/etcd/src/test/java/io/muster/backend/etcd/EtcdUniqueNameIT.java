package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.KeyValue;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md step 2 on real etcd, with real processes: names are unique. A second agent started
 * with a node name another live agent registered (identical hosts, both {@code rabbit@<host>})
 * never writes over that registration and never decides; it waits the other out for one TTL, then
 * exits with status 2 naming both instances. Before this change it put its key over the first one's
 * and took a decision of its own. An agent restarted after SIGKILL recognises its own registration
 * by the instance id in its data dir and takes it over at once, and a second agent on a data dir in
 * use is refused.
 */
class EtcdUniqueNameIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  /** Agent i of cluster {@code cluster}, named {@code name}, data dir {@code dir/nD}. */
  private TestAgents agents(String cluster, int ttlSeconds, NameAndDir nameAndDir) {
    return EtcdAgents.of(
        ETCD,
        dir,
        cluster,
        ttlSeconds,
        nameAndDir::name,
        i -> dir.resolve("n" + nameAndDir.dir(i)),
        "");
  }

  private interface NameAndDir {
    String name(int i);

    default int dir(int i) {
      return i;
    }
  }

  private static KeyValue key(String cluster, String node) throws Exception {
    String k = new EtcdPaths("rabbitmq", cluster).nodesPrefix() + node;
    List<KeyValue> kvs =
        ETCD.client().getKVClient().get(EtcdPaths.bytes(k)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  @Test
  void aSecondAgentWithTheSameNodeNameWaitsOneTtlThenExitsTwoNamingBoth() throws Exception {
    try (TestAgents agents = agents("twins", 3, i -> "rabbit@twin")) {
      Agent first = agents.start(1);
      assertThat(first.engine().decision().get(60, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      KeyValue held = key("twins", "rabbit@twin");
      String firstInstance = Files.readString(dir.resolve("n1/instance-id")).strip();
      JsonObject value = new JsonObject(EtcdPaths.text(held.getValue()));
      assertThat(value.getString("instance")).isEqualTo(firstInstance);
      assertThat(value.getInteger("format")).isEqualTo(io.muster.spi.Formats.CURRENT);

      long spawnedAt = System.nanoTime();
      Process twin = agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      assertThat(twin.waitFor(60, TimeUnit.SECONDS))
          .as("the twin exits by itself (log: %s)", agents.logFile(2))
          .isTrue();
      String log = agents.log(2);
      String twinInstance = Files.readString(dir.resolve("n2/instance-id")).strip();
      assertThat(twin.exitValue()).as(log).isEqualTo(2);
      System.out.printf(
          "[figure] duplicate name (node_ttl 3 s): the twin exited 2 %d ms after its JVM was"
              + " started; its last line: %s%n",
          (System.nanoTime() - spawnedAt) / 1_000_000,
          log.strip().lines().reduce((a, b) -> b).orElse(""));
      assertThat(log)
          .contains("node2.conf")
          .contains("muster.node_name")
          .contains("same node name")
          .contains(firstInstance)
          .contains(twinInstance)
          .doesNotContain("Publish")
          .doesNotContain("decided");
      // the first agent's registration was never written over, and it is still the seed
      KeyValue after = key("twins", "rabbit@twin");
      assertThat(after.getLease()).isEqualTo(held.getLease());
      assertThat(after.getModRevision()).isEqualTo(held.getModRevision());
      assertThat(first.engine().decision().getNow(null)).isInstanceOf(Decision.Seed.class);
    }
  }

  @Test
  void anAgentRestartedAfterSigkillTakesItsOwnRegistrationBackAtOnce() throws Exception {
    // a TTL far longer than a JVM start: the old lease is still alive when the new run registers
    try (TestAgents agents = agents("restart", 60, i -> "rabbit@node" + i)) {
      Agent seed = agents.start(1);
      assertThat(seed.engine().decision().get(60, TimeUnit.SECONDS))
          .isInstanceOf(Decision.Seed.class);
      seed.engine().complete();
      Process before = agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      KeyValue old =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(60)))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> key("restart", "rabbit@node2"), kv -> kv != null);
      before.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

      agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      KeyValue taken =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(60)))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () -> key("restart", "rabbit@node2"),
                  kv -> kv != null && kv.getLease() != old.getLease());
      long oldLeaseLeft =
          ETCD.client()
              .getLeaseClient()
              .timeToLive(old.getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
              .get(5, TimeUnit.SECONDS)
              .getTTL();
      assertThat(oldLeaseLeft)
          .as("the killed run's lease was still alive when the restart took its key over")
          .isPositive();
      assertThat(new JsonObject(EtcdPaths.text(taken.getValue())).getString("instance"))
          .isEqualTo(Files.readString(dir.resolve("n2/instance-id")).strip());
      assertThat(agents.log(2)).doesNotContain("registered by another agent");
    }
  }

  @Test
  void aSecondAgentOnADataDirInUseExitsTwo() throws Exception {
    // agent 2 is another node, pointed at agent 1's data dir by mistake
    NameAndDir sharing =
        new NameAndDir() {
          @Override
          public String name(int i) {
            return "rabbit@node" + i;
          }

          @Override
          public int dir(int i) {
            return 1;
          }
        };
    try (TestAgents agents = agents("shared-dir", 3, sharing)) {
      agents.start(1);
      Process second = agents.spawn(2, "io.muster.cli.Main", "run", "--config", "{conf}");
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(second.exitValue()).isEqualTo(2);
      assertThat(agents.log(2))
          .contains("muster.data_dir")
          .contains("locked by another agent (pid " + ProcessHandle.current().pid());
      assertThat(key("shared-dir", "rabbit@node2")).as("nothing registered").isNull();
    }
  }
}
