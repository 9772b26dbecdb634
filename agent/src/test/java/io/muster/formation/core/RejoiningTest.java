package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.NodeState;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * formation.md step 2: an agent that rejoins from its record answers its peers {@code rejoining},
 * not {@code formed}, until its node completes; before this change it answered {@code formed} with
 * its recorded members at once, so a stale rejoiner whose node never came back drew new nodes into
 * a cluster that was not there.
 */
class RejoiningTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final NodeName PEER = NodeName.parse("rabbit@10.0.0.2");

  private final FormationCore core =
      Cores.core(
          "dns",
          new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty()),
          SELF,
          T0);

  private List<Effect> at(long ms, Event e) {
    return core.handle(T0.plusMillis(ms), e);
  }

  @Test
  void aRejoinedAgentAnswersRejoiningUntilItsNodeCompletes() {
    Membership record = new Membership(SELF, "c1", Set.of(SELF, PEER), T0.minusSeconds(3600));
    List<Effect> start = at(0, new Event.Start(Optional.of(record)));
    assertThat(start)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.Publish.class,
                        p -> assertThat(p.decision()).isInstanceOf(Decision.Rejoin.class)));
    assertThat(core.answerProbe(PEER, T0.plusMillis(10)).state()).isEqualTo(NodeState.REJOINING);
    assertThat(core.node().rejoining()).isTrue();

    List<Effect> done = at(1_000, new Event.CompleteRequested(1, Optional.empty()));
    assertThat(done)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        Effect.WriteMembership.class,
                        w -> assertThat(w.membership().clusterId()).isEqualTo("c1")));
    assertThat(core.answerProbe(PEER, T0.plusMillis(1_010)).state()).isEqualTo(NodeState.FORMED);
    // the record's formation time stands: completing a rejoin does not make the cluster younger
    assertThat(core.node().membership().formedAt()).isEqualTo(T0.minusSeconds(3600));
  }

  @Test
  void aRejoiningNodeCannotAbortIntoANewDecision() {
    at(0, new Event.Start(Optional.of(new Membership(SELF, "c1", Set.of(SELF, PEER), T0))));
    List<Effect> abort = at(500, new Event.AbortRequested(1));
    assertThat(abort).anySatisfy(e -> assertThat(e).isInstanceOf(Effect.Refuse.class));
    assertThat(core.node().decision()).isInstanceOf(Decision.Rejoin.class);
  }
}
