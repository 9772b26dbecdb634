package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.formation.Decision;
import io.muster.formation.core.Phase;
import io.muster.testing.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md invariant 10 on a lockless backend (issue 18): the only completed member loses its
 * data dir while another agent is still told to join it. Lockless backends keep no store, so the
 * joiner's knowledge is the only trace of the cluster; the blank node must wait rather than seed a
 * second cluster under the same peers. Before the fix it seeded again at once (the simulator's
 * schedule {@code lockless:19000505:2:NONE:DATA_LOSS/0/7397/1098} shows the same).
 */
class LocklessDataLossIT {

  @TempDir Path dir;

  @Test
  void aBlankSeedNeverSeedsAgainWhileAPeerIsToldToJoinItsLostCluster() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      List<Integer> both = List.of(1, 2);
      Agent first = agents.start(1, both, "");
      Agent second = agents.start(2, both, "");
      Decision seed = first.engine().decision().get(60, TimeUnit.SECONDS);
      Decision join = second.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(seed).isInstanceOf(Decision.Seed.class);
      assertThat(join).isInstanceOf(Decision.Join.class);
      first.engine().complete(); // node 1 formed the cluster; node 2 is still joining it

      first.close();
      deleteTree(dir.resolve("n1")); // node 1's volume is lost
      Agent blank = agents.start(1, both, "");

      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () ->
                  assertThat(blank.engine().waitingFor())
                      .contains("cluster " + seed.clusterId() + " is known to rabbit@127.0.0.2")
                      .contains("never seeding beside it"));
      assertThat(blank.engine().decision()).isNotDone();
      assertThat(blank.engine().phase()).isEqualTo(Phase.DECIDING);
      assertThat(second.local().info().knowsOf()).containsExactly(seed.clusterId());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
