package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Contact points are asked before discovery ever worked (issue 18, defect 12): a lockless node
 * whose backend fails from the start still asks the agents that probed it, joins a formed cluster
 * among them, and never seeds on their word alone. Before, it only retried its discovery.
 */
class ProbersBeforeDiscoveryTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.3");
  private static final NodeName PEER = NodeName.parse("rabbit@10.0.0.1");

  private final FormationCore core =
      Cores.core(
          "dns",
          new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty()),
          SELF,
          T0);

  private static final DiscoveryResult FAILED =
      new DiscoveryResult.Failure(DiscoveryResult.Kind.UNREACHABLE, "dns: SERVFAIL");

  private static NodeInfo peer(NodeState state) {
    return new NodeInfo(
        PEER,
        state,
        state == NodeState.BOOTING ? null : "c1",
        Set.of(PEER),
        T0,
        state == NodeState.BOOTING ? null : T0,
        Set.of(PEER));
  }

  private List<Effect> failDiscoveryProbedBy() {
    core.handle(T0, new Event.Start(Optional.empty()));
    core.answerProbe(PEER, T0.plusMillis(5));
    return core.handle(T0.plusMillis(10), new Event.Discovered(FAILED));
  }

  @Test
  void aFormedProberIsJoinedThoughDiscoveryNeverWorked() {
    assertThat(failDiscoveryProbedBy()).contains(new Effect.Probe(Set.of(PEER)));
    List<Effect> joined =
        core.handle(T0.plusMillis(20), new Event.Probed(Map.of(PEER, peer(NodeState.FORMED))));
    assertThat(joined)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.Publish.class,
                        p -> {
                          assertThat(p.decision()).isInstanceOf(Decision.Join.class);
                          assertThat(p.decision().clusterId()).isEqualTo("c1");
                        }));
  }

  @Test
  void bootingProbersAloneNeverMakeASeedWithoutADiscovery() {
    failDiscoveryProbedBy();
    List<Effect> after =
        core.handle(T0.plusMillis(20), new Event.Probed(Map.of(PEER, peer(NodeState.BOOTING))));
    assertThat(after).noneMatch(Effect.Publish.class::isInstance);
    assertThat(after).anyMatch(Effect.ArmTimer.class::isInstance);
    assertThat(core.node().decision()).isNull();
  }
}
