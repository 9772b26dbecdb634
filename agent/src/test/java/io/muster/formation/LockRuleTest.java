package io.muster.formation;

import static io.muster.formation.ContactPointRuleTest.n;
import static io.muster.formation.ContactPointRuleTest.render;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.Marker;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LockRuleTest {

  @Test
  void noMarkerMeansThisNodeSeeds() {
    assertThat(render(LockRule.decide(new Marker.None(), List.of(n(2), n(1)), n(2))))
        .isEqualTo("seed");
  }

  @Test
  void formingMarkerMeansJoinTheSeedFirstThenLiveMembersOldestFirst() {
    Outcome o = LockRule.decide(new Marker.Forming(n(3), "c"), List.of(n(2), n(3), n(1)), n(1));
    assertThat(render(o)).isEqualTo("join rabbit@127.0.0.3 [rabbit@127.0.0.3, rabbit@127.0.0.2] c");
  }

  @Test
  void formedMarkerMeansJoinLiveMembersOldestFirst() {
    Outcome o =
        LockRule.decide(
            new Marker.Formed(n(3), "c", Instant.EPOCH), List.of(n(2), n(4), n(1)), n(1));
    assertThat(render(o)).isEqualTo("join rabbit@127.0.0.2 [rabbit@127.0.0.2, rabbit@127.0.0.4] c");
  }

  @Test
  void formedMarkerPutsItsSeedFirstWhenItIsLiveThenOthersOldestFirst() {
    // Members registered before the seed may still be joining themselves; the seed is up.
    Outcome o =
        LockRule.decide(
            new Marker.Formed(n(3), "c", Instant.EPOCH), List.of(n(2), n(4), n(3), n(1)), n(1));
    assertThat(render(o))
        .isEqualTo(
            "join rabbit@127.0.0.3 [rabbit@127.0.0.3, rabbit@127.0.0.2, rabbit@127.0.0.4] c");
  }

  @Test
  void formedMarkerWithNoLiveMemberWaitsAndNeverSeeds() {
    Outcome o = LockRule.decide(new Marker.Formed(n(3), "c", Instant.EPOCH), List.of(n(1)), n(1));
    assertThat(o).isInstanceOf(Outcome.KeepProbing.class);
    assertThat(render(o)).contains("never seeding it again");
  }

  @Test
  void ownFormingMarkerKeepsThisNodeTheSeed() {
    assertThat(render(LockRule.decide(new Marker.Forming(n(1), "c"), List.of(n(1), n(2)), n(1))))
        .isEqualTo("seed");
  }
}
