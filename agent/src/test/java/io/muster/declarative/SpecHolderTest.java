package io.muster.declarative;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.SpecHolder.Outcome;
import io.muster.spi.NodeName;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offers of a declarative spec: youngest wins, conflicts and multi-node drops change nothing. */
class SpecHolderTest {

  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");
  private static final NodeName C = NodeName.parse("rabbit@c");
  private static final NodeName D = NodeName.parse("rabbit@d");

  @TempDir Path dir;

  private static ClusterSpec spec(long version, NodeName... nodes) {
    TreeMap<NodeName, NodeType> m = new TreeMap<>();
    for (NodeName n : nodes) {
      m.put(n, NodeType.DISC);
    }
    return new ClusterSpec(version, m, new FromNode(A));
  }

  @Test
  void theYoungestWinsIsStoredAndSurvivesARestart() {
    SpecHolder h = new SpecHolder(B, new SpecStore(dir));
    assertThat(h.inForce()).isEmpty();
    assertThat(h.offer(spec(1, A, B, C), "the config file").outcome()).isEqualTo(Outcome.ADOPTED);
    assertThat(h.offer(spec(1, A, B, C), "rabbit@a's agent").outcome()).isEqualTo(Outcome.SAME);
    SpecHolder.Result two = h.offer(spec(2, A, B, C, D), "PUT /v1/cluster-config");
    assertThat(two.outcome()).isEqualTo(Outcome.ADOPTED);
    assertThat(two.forget()).isEmpty();
    assertThat(h.offer(spec(1, A, B, C), "rabbit@c's agent").outcome()).isEqualTo(Outcome.OLDER);
    assertThat(new SpecHolder(B, new SpecStore(dir)).inForce()).contains(spec(2, A, B, C, D));

    SpecHolder.Result three = h.offer(spec(3, A, B, D), "muster apply");
    assertThat(three.outcome()).isEqualTo(Outcome.ADOPTED);
    assertThat(three.forget()).contains(C);
  }

  @Test
  void equalVersionsWithOtherContentAndMultiNodeDropsAreRefusedAndChangeNothing() {
    SpecHolder h = new SpecHolder(B, new SpecStore(dir));
    h.offer(spec(4, A, B, C, D), "the config file");
    SpecHolder.Result conflict = h.offer(spec(4, A, B, C), "PUT /v1/cluster-config");
    assertThat(conflict.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(conflict.why())
        .contains("version 4 from PUT /v1/cluster-config differs from version 4 in force")
        .contains("give the new one a higher version");
    SpecHolder.Result twoDropped = h.offer(spec(5, A, B), "muster apply");
    assertThat(twoDropped.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(twoDropped.why()).contains("drops 2 nodes (rabbit@c, rabbit@d)");
    assertThat(h.inForce()).contains(spec(4, A, B, C, D));
    assertThat(new SpecHolder(B, new SpecStore(dir)).inForce()).contains(spec(4, A, B, C, D));
  }

  @Test
  void aNodeDroppedFromTheConfigNeverForgetsItself() {
    SpecHolder h = new SpecHolder(C, new SpecStore(dir));
    h.offer(spec(1, A, B, C), "the config file");
    SpecHolder.Result r = h.offer(spec(2, A, B), "rabbit@a's agent");
    assertThat(r.outcome()).isEqualTo(Outcome.ADOPTED);
    assertThat(r.forget()).isEmpty();
    assertThat(h.inForce().orElseThrow().version()).isEqualTo(2);
  }

  /** Review finding: an agent that missed a version must catch up with a later one. */
  @org.junit.jupiter.api.Test
  void aSpreadOrFileConfigMayDropSeveralNodesSinceTheAgentMissedAVersion() {
    SpecHolder h = new SpecHolder(A, new SpecStore(dir));
    h.offer(spec(1, A, B, C, D), "the config file");
    assertThat(h.offer(spec(3, A, B), "PUT /v1/cluster-config").outcome())
        .isEqualTo(Outcome.REFUSED);
    SpecHolder.Result r = h.adopt(spec(3, A, B), "rabbit@b's agent");
    assertThat(r.outcome()).isEqualTo(Outcome.ADOPTED);
    assertThat(h.inForce().orElseThrow().version()).isEqualTo(3);
  }
}
