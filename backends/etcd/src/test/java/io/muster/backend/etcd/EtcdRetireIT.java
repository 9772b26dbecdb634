package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.spi.Marker;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md invariant 10 on real etcd: after every member of a formed cluster lost its data, a
 * blank node never seeds (the durable formed marker), and only the audited {@code muster formation
 * retire --cluster-id X --yes} lets a new cluster form. It is refused without {@code --yes} and
 * while a live registration claims the cluster, and it records who retired it.
 */
class EtcdRetireIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  private static void deleteTree(Path root) throws Exception {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  /** Runs {@code muster formation retire} as agent {@code i}'s config; returns its exit status. */
  private static int retire(TestAgents agents, int i, String... args) throws Exception {
    String[] cmd = new String[args.length + 4];
    cmd[0] = "formation";
    cmd[1] = "retire";
    cmd[2] = "--config";
    cmd[3] = "{conf}";
    System.arraycopy(args, 0, cmd, 4, args.length);
    Process p = agents.spawn(i, "io.muster.cli.Main", cmd);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void afterEveryMemberLostItsDataOnlyAnAuditedRetireLetsANewClusterForm() throws Exception {
    try (TestAgents agents = EtcdAgents.of(ETCD, dir, "retire", "");
        Client client =
            Client.builder().endpoints(ETCD.clientUrls().toArray(String[]::new)).build()) {
      List<Agent> members = EtcdAgents.formCluster(agents, 2);
      String x = members.get(0).engine().decision().get().clusterId();

      // while members are registered, retiring their cluster is refused
      assertThat(retire(agents, 3, "--cluster-id", x, "--yes")).isEqualTo(1);
      assertThat(agents.log(3)).contains("live registrations claim it");

      // every member's data is lost: a blank node never seeds beside the formed marker
      for (Agent a : members) {
        a.close();
      }
      deleteTree(dir.resolve("n1"));
      deleteTree(dir.resolve("n2"));
      Agent blank = agents.start(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          // two rounds of "formed, no member registered: never seeding it again" at least
          .until(() -> blank.engine().status().attemptsLeft() <= 98);
      assertThat(blank.engine().decision()).isNotDone();

      assertThat(retire(agents, 3, "--cluster-id", x)).as("without --yes").isEqualTo(2);
      assertThat(agents.log(3)).contains("Nothing written");
      assertThat(retire(agents, 3, "--cluster-id", x, "--yes", "--reason", "INC-42 disks lost"))
          .isEqualTo(0);
      assertThat(agents.log(3)).contains("Retired cluster " + x).contains("INC-42");
      String record =
          EtcdPaths.text(
              client
                  .getKVClient()
                  .get(EtcdPaths.bytes(new EtcdPaths("rabbitmq", "retire").retiredKey(x)))
                  .get(5, TimeUnit.SECONDS)
                  .getKvs()
                  .get(0)
                  .getValue());
      assertThat(record).contains("\"reason\":\"INC-42 disks lost\"").contains("\"by\":");

      // the waiting blank node now seeds a new cluster
      Decision d = blank.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Seed.class);
      assertThat(d.clusterId()).isNotEqualTo(x);
      blank.engine().complete();
      Marker m =
          new MarkerStore(client.getKVClient(), new EtcdPaths("rabbitmq", "retire"))
              .read()
              .get(5, TimeUnit.SECONDS);
      assertThat(m).isInstanceOf(Marker.Formed.class);
      assertThat(((Marker.Formed) m).clusterId()).isEqualTo(d.clusterId());
    }
  }
}
