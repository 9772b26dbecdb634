package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * formation.md step 5, the StatefulSet ordinal rule asks the peers first: pod -0 with a new volume
 * (no record) while pods -1..-n run the old cluster joins them instead of seeding again. Before
 * this change it seeded at once, without asking anyone, beside the live cluster.
 */
class FixedSeedPathTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName POD0 = NodeName.parse("rabbit@rmq-0.rmq.ns.svc");
  private static final NodeName POD1 = NodeName.parse("rabbit@rmq-1.rmq.ns.svc");
  private static final NodeName POD2 = NodeName.parse("rabbit@rmq-2.rmq.ns.svc");

  private FormationCore core(NodeName self) {
    return Cores.core(
        "k8s",
        new Capabilities(
            Capabilities.Mode.FIXED_SEED, false, false, Optional.of(POD0), List.of(POD1, POD2)),
        self,
        T0);
  }

  private static Optional<Decision> published(List<Effect> effects) {
    return effects.stream()
        .filter(Effect.Publish.class::isInstance)
        .map(e -> ((Effect.Publish) e).decision())
        .findFirst();
  }

  private static NodeInfo info(NodeName n, NodeState state, String cluster) {
    return new NodeInfo(
        n,
        state,
        cluster,
        Set.of(POD0, POD1, POD2),
        T0,
        state == NodeState.BOOTING ? null : T0,
        Set.of());
  }

  @Test
  void podZeroWithANewVolumeJoinsTheClusterItsPeersRunInsteadOfSeeding() {
    FormationCore c = core(POD0);
    List<Effect> start = c.handle(T0, new Event.Start(Optional.empty()));
    assertThat(published(start)).as("nothing decided before the peers answered").isEmpty();
    assertThat(start).contains(new Effect.Probe(Set.of(POD1, POD2)));
    List<Effect> after =
        c.handle(
            T0.plusMillis(50),
            new Event.Probed(
                Map.of(
                    POD1, info(POD1, NodeState.FORMED, "seed:" + POD0),
                    POD2, info(POD2, NodeState.FORMED, "seed:" + POD0))));
    Decision d = published(after).orElseThrow();
    assertThat(d).isInstanceOf(Decision.Join.class);
    assertThat(d.seed()).isEqualTo(POD1);
    assertThat(d.peers()).containsExactly(POD1, POD2);
  }

  @Test
  void podZeroSeedsWhenNoOtherPodAnswers() {
    FormationCore c = core(POD0);
    c.handle(T0, new Event.Start(Optional.empty()));
    Decision d = published(c.handle(T0.plusMillis(50), new Event.Probed(Map.of()))).orElseThrow();
    assertThat(d).isInstanceOf(Decision.Seed.class);
    assertThat(d.clusterId()).isEqualTo("seed:" + POD0);
  }

  @Test
  void podZeroSeedsWhenTheOtherPodsAreStillBooting() {
    FormationCore c = core(POD0);
    c.handle(T0, new Event.Start(Optional.empty()));
    Decision d =
        published(
                c.handle(
                    T0.plusMillis(50),
                    new Event.Probed(Map.of(POD1, info(POD1, NodeState.BOOTING, null)))))
            .orElseThrow();
    assertThat(d).isInstanceOf(Decision.Seed.class);
  }

  @Test
  void podZeroWaitsWhileAPeerIsRejoiningItsCluster() {
    FormationCore c = core(POD0);
    c.handle(T0, new Event.Start(Optional.empty()));
    List<Effect> waiting =
        c.handle(
            T0.plusMillis(50),
            new Event.Probed(Map.of(POD1, info(POD1, NodeState.REJOINING, "seed:" + POD0))));
    assertThat(published(waiting)).isEmpty();
    assertThat(c.status().waitingFor()).contains("rejoining");
    Effect.ArmTimer t =
        waiting.stream()
            .filter(Effect.ArmTimer.class::isInstance)
            .map(Effect.ArmTimer.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(c.handle(T0.plusSeconds(5), new Event.TimerFired(t.timer())))
        .contains(new Effect.Probe(Set.of(POD1, POD2)));
  }

  @Test
  void theOtherPodsJoinPodZeroWithoutAsking() {
    Decision d = published(core(POD1).handle(T0, new Event.Start(Optional.empty()))).orElseThrow();
    assertThat(d).isInstanceOf(Decision.Join.class);
    assertThat(d.seed()).isEqualTo(POD0);
  }
}
