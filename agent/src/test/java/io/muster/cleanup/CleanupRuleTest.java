package io.muster.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.cleanup.CleanupRule.Absence;
import io.muster.cleanup.CleanupRule.Policy;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * formation.md invariant 6. The scenario names are the partial lists of issue 18 defect 7, each of
 * which removed live members before this change (the rule then trusted any fresh list, per agent
 * per pass).
 */
class CleanupRuleTest {

  private static final NodeName SELF = NodeName.parse("rabbit@a");
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration ABSENT_FOR = Duration.ofSeconds(60);
  private static final Policy REMOVE = new Policy(false, 5, 40, ABSENT_FOR);

  private static Set<NodeName> nodes(String... names) {
    return Stream.of(names)
        .map(n -> NodeName.parse("rabbit@" + n))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static NodeName n(String name) {
    return NodeName.parse("rabbit@" + name);
  }

  /** Absences of {@code names} since {@code ago} over {@code reads} reads. */
  private static Map<NodeName, Absence> missing(Duration ago, int reads, String... names) {
    Map<NodeName, Absence> m = new HashMap<>();
    for (String name : names) {
      m.put(n(name), new Absence(T0.minus(ago), reads));
    }
    return m;
  }

  private static CleanupRule.Pass decide(
      Set<NodeName> members,
      Set<NodeName> discovered,
      NodeName self,
      Map<NodeName, Absence> absences,
      Policy policy) {
    return CleanupRule.decide(members, discovered, true, self, absences, T0, policy);
  }

  @Test
  void aMemberMissingLongEnoughOverSeveralReadsIsRemovedButNeverTheLocalNode() {
    Set<NodeName> members = nodes("a", "b", "c", "d", "e", "f", "g");
    CleanupRule.Pass p =
        decide(
            members,
            nodes("b", "c", "d", "e", "f"),
            SELF,
            missing(Duration.ofMinutes(5), 5, "a", "g"),
            REMOVE);
    assertThat(p.candidates()).containsExactly(n("g"));
    assertThat(p.toRemove()).containsExactly(n("g"));
    assertThat(p.skipped()).isNull();
  }

  @Test
  void aStaleOrFailedDiscoveryNeverFeedsCleanup() {
    CleanupRule.Pass p =
        CleanupRule.decide(
            nodes("a", "b", "c"), nodes("a"), false, SELF, missing(ABSENT_FOR, 9, "b"), T0, REMOVE);
    assertThat(p.candidates()).isEmpty();
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).contains("stale");
  }

  @Test
  void anEmptyDiscoveryNeverFeedsCleanup() {
    CleanupRule.Pass p = decide(nodes("a", "b"), Set.of(), SELF, Map.of(), REMOVE);
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).isNotNull();
  }

  @Test
  void aPtrNxdomainThatDropsHalfTheClusterRemovesNothing() {
    Set<NodeName> members = nodes("a", "b", "c", "d", "e", "f");
    CleanupRule.Pass p =
        decide(
            members,
            nodes("a", "b", "c"),
            SELF,
            missing(Duration.ofHours(1), 60, "d", "e", "f"),
            REMOVE);
    assertThat(p.candidates()).hasSize(3);
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).contains("3 of 6").contains("partial answer");
  }

  @Test
  void aBackendThatListsOnlyItselfRemovesNothing() {
    CleanupRule.Pass p =
        decide(
            nodes("a", "b", "c"),
            nodes("a"),
            SELF,
            missing(Duration.ofHours(1), 60, "b", "c"),
            REMOVE);
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).contains("partial answer");
  }

  @Test
  void aNodeRestartingLongerThanItsTtlButWithinAbsentForIsNotRemoved() {
    Set<NodeName> members = nodes("a", "b", "c", "d");
    CleanupRule.Pass p =
        decide(
            members, nodes("a", "b", "c"), SELF, missing(Duration.ofSeconds(40), 4, "d"), REMOVE);
    assertThat(p.candidates()).containsExactly(n("d"));
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).contains("absent_for");
  }

  @Test
  void oneLongAbsenceSeenInASingleReadIsNotEnough() {
    CleanupRule.Pass p =
        decide(
            nodes("a", "b", "c", "d"),
            nodes("a", "b", "c"),
            SELF,
            missing(Duration.ofHours(1), 1, "d"),
            REMOVE);
    assertThat(p.toRemove()).isEmpty();
  }

  @Test
  void onlyTheLowestNamedLiveMemberRemoves() {
    Set<NodeName> members = nodes("a", "b", "c", "d");
    Map<NodeName, Absence> gone = missing(Duration.ofHours(1), 60, "d");
    assertThat(decide(members, nodes("a", "b", "c"), n("b"), gone, REMOVE).skipped())
        .contains("rabbit@a (the lowest-named live member) is the cluster's remover");
    // with a away, b is the lowest live member: exactly one remover at a time
    assertThat(
            decide(
                    members,
                    nodes("b", "c", "d"),
                    n("b"),
                    missing(Duration.ofHours(1), 60, "a"),
                    REMOVE)
                .toRemove())
        .containsExactly(n("a"));
  }

  @Test
  void onlyLogWarningRemovesNothingAndMaxRemovalsBoundsAPass() {
    Set<NodeName> members = nodes("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    Map<NodeName, Absence> gone = missing(Duration.ofHours(1), 60, "i", "j");
    Set<NodeName> live = nodes("a", "b", "c", "d", "e", "f", "g", "h");
    assertThat(decide(members, live, SELF, gone, new Policy(true, 5, 40, ABSENT_FOR)).toRemove())
        .isEmpty();
    assertThat(decide(members, live, SELF, gone, new Policy(false, 1, 40, ABSENT_FOR)).toRemove())
        .containsExactly(n("i"));
  }

  @Test
  void aFlappingCheckResetsTheAbsence() {
    Set<NodeName> members = nodes("a", "b", "c");
    Map<NodeName, Absence> a = CleanupRule.observe(Map.of(), members, nodes("a", "b"), T0);
    a = CleanupRule.observe(a, members, nodes("a", "b"), T0.plusSeconds(60));
    assertThat(a.get(n("c"))).isEqualTo(new Absence(T0, 2));
    a = CleanupRule.observe(a, members, nodes("a", "b", "c"), T0.plusSeconds(120));
    assertThat(a).isEmpty();
  }

  /**
   * Many agents over many passes: ten members, every read of every agent drops two live members it
   * should list (a flapping check, a host without a name yet), never the same one three reads in a
   * row; one member really left. Only that one is ever removed, once.
   */
  @Test
  void manyAgentsOverManyPassesRemoveOnlyTheMemberThatLeft() {
    Set<NodeName> members = nodes("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    java.util.List<NodeName> all = java.util.List.copyOf(members);
    Set<NodeName> removed = new TreeSet<>();
    int removals = 0;
    for (NodeName agent : all.subList(0, 9)) {
      Map<NodeName, Absence> absences = Map.of();
      for (int read = 0; read < 40; read++) {
        Set<NodeName> discovered = new TreeSet<>(members);
        discovered.remove(n("j")); // it left
        for (int k = 0; k < 9; k++) {
          if ((read + k) % 5 == 0 && discovered.size() > 7) {
            discovered.remove(all.get(k));
          }
        }
        Instant now = T0.plusSeconds(60L * read);
        absences = CleanupRule.observe(absences, members, discovered, now);
        CleanupRule.Pass p =
            CleanupRule.decide(members, discovered, true, agent, absences, now, REMOVE);
        removals += p.toRemove().size();
        removed.addAll(p.toRemove());
        if (p.toRemove().contains(n("j"))) {
          members = new TreeSet<>(members);
          members.remove(n("j"));
        }
      }
    }
    assertThat(removed).containsExactly(n("j"));
    assertThat(removals).isEqualTo(1);
  }

  @Test
  void membersAreReadFromRabbitmqctlJsonArraysOrLinesAndGarbageIsDropped() {
    String rabbitmqctl =
        "{\"disk_nodes\":[\"rabbit@a\",\"rabbit@b\"],\"ram_nodes\":[\"rabbit@c\"],"
            + "\"running_nodes\":[\"rabbit@a\"]}";
    assertThat(NodeCleanup.parseMembers(rabbitmqctl)).isEqualTo(nodes("a", "b", "c"));
    assertThat(NodeCleanup.parseMembers("[\"rabbit@a\", \"rabbit@x; rm -rf /\"]"))
        .isEqualTo(nodes("a"));
    assertThat(NodeCleanup.parseMembers("rabbit@a\n\nrabbit@b\n")).isEqualTo(nodes("a", "b"));
  }
}
