package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.spi.NodeName;
import io.muster.testing.BootTogether;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Several classic_config agents on 127.0.0.x, booted together: the contact-point rule at work. */
class ParallelBootIT {

  @TempDir Path dir;

  /** Boots agents for hosts 1..n at one instant plus random jitter; returns their decisions. */
  private static List<Decision> bootTogether(LoopbackAgents agents, int n, int maxJitterMs)
      throws Exception {
    List<Integer> listed = IntStream.rangeClosed(1, n).boxed().toList();
    return BootTogether.boot(
        host -> agents.start(host, listed, ""),
        n,
        maxJitterMs,
        "classic_config",
        new ArrayList<>());
  }

  private static void assertOneCluster(List<Decision> decisions) {
    BootTogether.assertOneCluster(decisions);
  }

  @ParameterizedTest(name = "{0} agents, jitter up to {1} ms, {2} trials")
  @CsvSource({"3, 0, 8", "3, 300, 12", "5, 500, 5"})
  void exactlyOneSeedWhenAgentsBootTogether(int n, int jitterMs, int trials) throws Exception {
    for (int trial = 0; trial < trials; trial++) {
      Path trialDir = dir.resolve("t" + trial);
      try (LoopbackAgents agents = new LoopbackAgents(trialDir, n)) {
        assertOneCluster(bootTogether(agents, n, jitterMs));
      }
    }
  }

  @Test
  void nodeAddedAfterTheClusterFormedJoinsAndNeverSeedsEvenWithTheLowestName() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 4)) {
      List<Integer> first = List.of(2, 3, 4);
      List<Agent> cluster = new ArrayList<>();
      for (int h : first) {
        cluster.add(agents.start(h, first, ""));
      }
      String clusterId = null;
      for (Agent a : cluster) {
        Decision d = a.engine().decision().get(60, TimeUnit.SECONDS);
        clusterId = d.clusterId();
      }
      cluster.sort((a, b) -> a.engine().decision().join() instanceof Decision.Seed ? -1 : 1);
      for (Agent a : cluster) {
        a.engine().complete();
      }
      Agent late = agents.start(1, List.of(1, 2, 3, 4), "");
      Decision d = late.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Join.class);
      assertThat(d.clusterId()).isEqualTo(clusterId);
      assertThat(d.peers()).contains(NodeName.parse("rabbit@127.0.0.2"));
    }
  }

  @Test
  void nodeWithAMembershipRecordRejoinsWithoutDiscovery() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 3)) {
      NodeName self = NodeName.parse("rabbit@127.0.0.1");
      new MembershipStore(dir.resolve("n1"))
          .write(
              new Membership(
                  self,
                  "c-1",
                  Set.of(self, NodeName.parse("rabbit@127.0.0.2")),
                  Instant.parse("2026-01-01T00:00:00Z")));
      Agent a = agents.start(1, List.of(1, 2, 3), "");
      Decision d = a.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(d).isInstanceOf(Decision.Rejoin.class);
      assertThat(d.peers()).containsExactly(NodeName.parse("rabbit@127.0.0.2"));
      assertThat(d.clusterId()).isEqualTo("c-1");
    }
  }
}
