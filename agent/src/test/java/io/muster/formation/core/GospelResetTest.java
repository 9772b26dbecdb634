package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.declarative.ClusterSpec;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.DeclaredConfig;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
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
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 23, gospel {@code reset} (the Clusterer: "this will apply every time the cluster config is
 * changed and applied"): a younger version resets every listed node, formed ones included, and the
 * cluster forms anew at that version; a restart under the version it formed at resets nothing.
 * Before this change a formed node ignored the new version (the path's {@code Reset} step was a
 * wait for something this build did not run, and only nodes still deciding ever came to it).
 */
class GospelResetTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");
  private static final NodeName C = NodeName.parse("rabbit@c");

  /** The config in force, replaced as spreading would; whether muster exec can reset the node. */
  private static final class Config implements DeclaredConfig {
    ClusterSpec spec;
    final boolean resets;

    Config(ClusterSpec spec, boolean resets) {
      this.spec = spec;
      this.resets = resets;
    }

    @Override
    public ClusterSpec inForce() {
      return spec;
    }

    @Override
    public boolean resetsNode() {
      return resets;
    }
  }

  private static ClusterSpec spec(long version, ClusterSpec.Gospel gospel) {
    return new ClusterSpec(
        version,
        new TreeMap<>(Map.of(A, NodeType.DISC, B, NodeType.DISC, C, NodeType.DISC)),
        gospel);
  }

  private static FormationCore core(Config config) {
    return Cores.core(
        "clusterer",
        new Capabilities(
            Capabilities.Mode.DECLARATIVE,
            false,
            false,
            Optional.empty(),
            List.of(),
            Optional.of(config)),
        A,
        T0);
  }

  /** An answer of {@code node}'s agent running {@code spec}. */
  private static NodeInfo answer(
      NodeName node, ClusterSpec spec, NodeState state, String cluster, long formedAt) {
    return new NodeInfo(
        node,
        state,
        cluster,
        cluster == null ? Set.of() : Set.of(A, B, C),
        T0,
        cluster == null ? null : T0,
        Set.of(A, B, C),
        Set.of(),
        spec.version(),
        spec.digest(),
        formedAt);
  }

  private static Membership formedAt(long version) {
    return new Membership(A, "old", Set.of(A, B, C), T0.minusSeconds(60), version);
  }

  @Test
  void aFormedNodeIsResetByAYoungerVersionAndFormsAnewOnceEveryNodeHas() {
    Config config = new Config(spec(1, new ClusterSpec.Reset()), true);
    FormationCore core = core(config);
    settle(core, core.handle(T0, new Event.Start(Optional.of(formedAt(1)))));
    assertThat(core.node().decision()).isInstanceOf(Decision.Rejoin.class); // same version: as is
    settle(core, core.handle(T0.plusMillis(100), new Event.CompleteRequested(1)));
    assertThat(core.status().phase()).isEqualTo(Phase.FORMED);

    ClusterSpec v2 = spec(2, new ClusterSpec.Reset());
    config.spec = v2;
    List<Effect> woken = core.handle(T0.plusMillis(200), new Event.Wake());
    assertThat(woken).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.ResetFormed.class));
    assertThat(core.status().phase()).isEqualTo(Phase.RESETTING);
    assertThat(core.status().waitingFor()).contains("version 2 has gospel reset");
    // until its node is reset, peers see a member of the old version: none joins it, none seeds
    NodeInfo told = core.answerProbe(B, T0.plusMillis(210));
    assertThat(told.state()).isEqualTo(NodeState.FORMED);
    assertThat(told.specFormedAt()).isEqualTo(1);

    List<Effect> reset = core.handle(T0.plusMillis(300), new Event.FormedNodeReset(2));
    assertThat(reset).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.Retract.class));
    assertThat(reset).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.Reply.class));
    assertThat(reset)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.Probe.class, p -> assertThat(p.targets()).containsOnly(B, C)));
    NodeInfo fresh = core.answerProbe(B, T0.plusMillis(310));
    assertThat(fresh.state()).isEqualTo(NodeState.BOOTING);
    assertThat(fresh.knowsOf()).isEmpty();
    assertThat(core.node().decision()).isNull();

    // C has not reset yet (formed at version 1): A waits, and never joins C's old cluster
    List<Effect> waiting =
        core.handle(
            T0.plusMillis(400),
            new Event.Probed(
                Map.of(
                    B, answer(B, v2, NodeState.BOOTING, null, 0),
                    C, answer(C, v2, NodeState.FORMED, "old", 1))));
    assertThat(waiting).noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.Publish.class));
    assertThat(core.status().waitingFor()).contains("every listed node to reset").contains("c");

    core.handle(T0.plusMillis(2_000), new Event.TimerFired(lastTimer(waiting)));
    List<Effect> seeded =
        core.handle(
            T0.plusMillis(2_100),
            new Event.Probed(
                Map.of(
                    B, answer(B, v2, NodeState.BOOTING, null, 0),
                    C, answer(C, v2, NodeState.BOOTING, null, 0))));
    assertThat(seeded)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.Publish.class,
                        p -> assertThat(p.decision()).isInstanceOf(Decision.Seed.class)));
    List<Effect> done = core.handle(T0.plusMillis(2_200), new Event.CompleteRequested(3));
    assertThat(done)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.WriteMembership.class,
                        w -> {
                          assertThat(w.membership().configVersion()).isEqualTo(2);
                          assertThat(w.membership().clusterId()).isNotEqualTo("old");
                        }));
    // formed at version 2 now: another wake-up resets nothing
    assertThat(core.handle(T0.plusMillis(2_300), new Event.Wake()))
        .noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.ResetFormed.class));
  }

  @Test
  void aRejoinsCompletionThatArrivesWhileTheNodeIsResetIsRefusedAndWritesNoRecord() {
    Config config = new Config(spec(1, new ClusterSpec.Reset()), true);
    FormationCore core = core(config);
    settle(core, core.handle(T0, new Event.Start(Optional.of(formedAt(1)))));
    assertThat(core.node().decision()).isInstanceOf(Decision.Rejoin.class);
    config.spec = spec(2, new ClusterSpec.Reset());
    assertThat(core.handle(T0.plusMillis(100), new Event.Wake()))
        .anySatisfy(e -> assertThat(e).isInstanceOf(Effect.ResetFormed.class));

    // the readiness probe's completion was sent before the reset was asked for
    List<Effect> late = core.handle(T0.plusMillis(110), new Event.CompleteRequested(7));
    assertThat(late).noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.WriteMembership.class));
    assertThat(late)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.Refuse.class, r -> assertThat(r.request()).isEqualTo(7)));
    assertThat(core.status().phase()).isEqualTo(Phase.RESETTING);
  }

  @Test
  void withoutAnAgentThatCanResetTheNodeStaysAndStatusSaysWhatAnOperatorMustDo() {
    Config config = new Config(spec(1, new ClusterSpec.Reset()), false);
    FormationCore core = core(config);
    settle(core, core.handle(T0, new Event.Start(Optional.of(formedAt(1)))));
    settle(core, core.handle(T0.plusMillis(100), new Event.CompleteRequested(1)));
    config.spec = spec(2, new ClusterSpec.Reset());
    List<Effect> woken = core.handle(T0.plusMillis(200), new Event.Wake());
    assertThat(woken).noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.ResetFormed.class));
    assertThat(core.status().phase()).isEqualTo(Phase.FORMED);
    assertThat(core.status().waitingFor())
        .startsWith("an operator: cluster config version 2 has gospel reset")
        .contains("muster exec");
    // a younger version without gospel reset takes the advice back
    settle(core, woken);
    config.spec = spec(3, new ClusterSpec.FromNode(A));
    settle(core, core.handle(T0.plusMillis(300), new Event.Wake()));
    assertThat(core.status().waitingFor()).isNull();
  }

  @Test
  void aRecordOfAnOlderVersionIsResetAtBootAndTheNodeCountsFreshAtOnce() {
    Config config = new Config(spec(2, new ClusterSpec.Reset()), true);
    FormationCore core = core(config);
    List<Effect> start = core.handle(T0, new Event.Start(Optional.of(formedAt(1))));
    assertThat(core.node().decision()).isNull(); // not rejoined: asks the listed nodes first
    assertThat(start).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.Probe.class));
    List<Effect> decided =
        core.handle(
            T0.plusMillis(100),
            new Event.Probed(
                Map.of(
                    B, answer(B, config.spec, NodeState.BOOTING, null, 0),
                    C, answer(C, config.spec, NodeState.FORMED, "old", 1))));
    // reset before its node starts; fresh now, it waits for C to reset too
    assertThat(decided)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.ResetNode.class,
                        r -> assertThat(r.why()).contains("gospel reset: version 2")));
    assertThat(core.answerProbe(B, T0.plusMillis(110)).knowsOf()).isEmpty();
    assertThat(core.status().waitingFor()).contains("not yet: rabbit@c");
  }

  @Test
  void aRecordOfAnOlderVersionWaitsForAnOperatorWhenTheAgentCannotReset() {
    Config config = new Config(spec(2, new ClusterSpec.Reset()), false);
    FormationCore core = core(config);
    core.handle(T0, new Event.Start(Optional.of(formedAt(1))));
    List<Effect> decided =
        core.handle(
            T0.plusMillis(100),
            new Event.Probed(
                Map.of(
                    B, answer(B, config.spec, NodeState.BOOTING, null, 0),
                    C, answer(C, config.spec, NodeState.BOOTING, null, 0))));
    assertThat(decided).noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.ResetNode.class));
    assertThat(decided).noneSatisfy(e -> assertThat(e).isInstanceOf(Effect.Publish.class));
    assertThat(core.status().waitingFor()).contains("an operator").contains("cluster old");
    // it still holds the old cluster's data: peers must not count it fresh
    assertThat(core.answerProbe(B, T0.plusMillis(110)).knowsOf()).containsExactly("old");
  }

  /**
   * Answers the run phase's reads (the config's nodes) and probes (nobody answers) until the core
   * waits on a timer: a formed core then acts on a wake-up at once.
   */
  private static void settle(FormationCore core, List<Effect> effects) {
    for (int round = 0; round < 10; round++) {
      Event answer = null;
      for (Effect e : effects) {
        if (e instanceof Effect.Discover) {
          answer = new Event.Discovered(new DiscoveryResult.Peers(List.of(A, B, C)));
        } else if (e instanceof Effect.Probe) {
          answer = new Event.Probed(Map.of());
        }
      }
      if (answer == null) {
        return;
      }
      effects = core.handle(T0.plusMillis(150), answer);
    }
  }

  private static long lastTimer(List<Effect> effects) {
    return effects.stream()
        .filter(Effect.ArmTimer.class::isInstance)
        .map(e -> ((Effect.ArmTimer) e).timer())
        .reduce((x, y) -> y)
        .orElseThrow();
  }
}
