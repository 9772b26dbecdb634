package io.muster.formation;

import static io.muster.formation.ContactPointRuleTest.n;
import static io.muster.formation.ContactPointRuleTest.render;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

  private static Map<NodeName, String> membersOf(String cluster, int... hosts) {
    Map<NodeName, String> m = new java.util.HashMap<>();
    for (int h : hosts) {
      m.put(n(h), cluster);
    }
    return m;
  }

  @Test
  void formedMarkerMeansJoinLiveMembersOldestFirst() {
    Outcome o =
        LockRule.decide(
            new Marker.Formed(n(3), "c", Instant.EPOCH),
            List.of(n(2), n(4), n(1)),
            membersOf("c", 2, 4),
            n(1));
    assertThat(render(o)).isEqualTo("join rabbit@127.0.0.2 [rabbit@127.0.0.2, rabbit@127.0.0.4] c");
  }

  @Test
  void formedMarkerPutsItsSeedFirstWhenItIsLiveThenOthersOldestFirst() {
    // Members registered before the seed may still be joining themselves; the seed is up.
    Outcome o =
        LockRule.decide(
            new Marker.Formed(n(3), "c", Instant.EPOCH),
            List.of(n(2), n(4), n(3), n(1)),
            membersOf("c", 2, 3, 4),
            n(1));
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
  void formedMarkerJoinsOnlyRegistrationsThatClaimItsCluster() {
    // node 2 registered but never completed (a blank joiner), node 4 is a member of another
    // cluster: neither is anyone to join; with no member live, wait
    Outcome o =
        LockRule.decide(
            new Marker.Formed(n(3), "c", Instant.EPOCH),
            List.of(n(2), n(4), n(1)),
            Map.of(n(4), "other"),
            n(1));
    assertThat(o).isInstanceOf(Outcome.KeepProbing.class);
    assertThat(render(o)).contains("2 live registration(s) of nodes that are not its members");
  }

  @Test
  void noMarkerButLiveMembersOfAClusterMeansJoinItNeverSeed() {
    // the store lost its marker (wiped, restored); members re-registered carrying their cluster id
    Outcome o =
        LockRule.decide(
            new Marker.None(), List.of(n(4), n(2), n(3), n(1)), membersOf("c", 2, 3), n(1));
    assertThat(render(o)).isEqualTo("join rabbit@127.0.0.2 [rabbit@127.0.0.2, rabbit@127.0.0.3] c");
  }

  @Test
  void noMarkerAndClaimsOfTwoClustersJoinsTheOneWithMoreLiveMembers() {
    Map<NodeName, String> m = membersOf("big", 3, 4);
    m.put(n(2), "small");
    Outcome o = LockRule.decide(new Marker.None(), List.of(n(2), n(3), n(4), n(1)), m, n(1));
    assertThat(render(o))
        .isEqualTo("join rabbit@127.0.0.3 [rabbit@127.0.0.3, rabbit@127.0.0.4] big");
  }

  @Test
  void ownFormingMarkerKeepsThisNodeTheSeed() {
    assertThat(render(LockRule.decide(new Marker.Forming(n(1), "c"), List.of(n(1), n(2)), n(1))))
        .isEqualTo("seed");
  }
}
