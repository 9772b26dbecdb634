package io.muster.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.NodeName;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class CleanupRuleTest {

  private static final NodeName SELF = NodeName.parse("rabbit@a");

  private static Set<NodeName> nodes(String... names) {
    return Stream.of(names).map(n -> NodeName.parse("rabbit@" + n)).collect(Collectors.toSet());
  }

  @Test
  void membersTheBackendNoLongerKnowsAreCandidatesButNeverTheLocalNode() {
    CleanupRule.Pass p =
        CleanupRule.decide(nodes("a", "b", "c", "d"), nodes("b"), true, SELF, false, 5);
    assertThat(p.candidates())
        .containsExactlyElementsOf(nodes("c", "d").stream().sorted().toList());
    assertThat(p.toRemove()).doesNotContain(SELF).hasSize(2);
  }

  @Test
  void aStaleOrFailedDiscoveryNeverFeedsCleanup() {
    CleanupRule.Pass p =
        CleanupRule.decide(nodes("a", "b", "c"), nodes("a"), false, SELF, false, 5);
    assertThat(p.candidates()).isEmpty();
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).contains("stale");
  }

  @Test
  void anEmptyDiscoveryNeverFeedsCleanup() {
    CleanupRule.Pass p = CleanupRule.decide(nodes("a", "b"), Set.of(), true, SELF, false, 5);
    assertThat(p.toRemove()).isEmpty();
    assertThat(p.skipped()).isNotNull();
  }

  @Test
  void onlyLogWarningRemovesNothingAndMaxRemovalsBoundsAPass() {
    assertThat(CleanupRule.decide(nodes("a", "b", "c"), nodes("a"), true, SELF, true, 5).toRemove())
        .isEmpty();
    assertThat(
            CleanupRule.decide(nodes("a", "b", "c", "d"), nodes("a"), true, SELF, false, 1)
                .toRemove())
        .containsExactly(NodeName.parse("rabbit@b"));
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
