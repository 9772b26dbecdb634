package io.muster.declarative;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.declarative.ClusterSpec.Gospel;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.ClusterSpec.Reset;
import io.muster.declarative.DeclarativeRules.Fresh;
import io.muster.declarative.DeclarativeRules.Join;
import io.muster.declarative.DeclarativeRules.Known;
import io.muster.declarative.DeclarativeRules.Member;
import io.muster.declarative.DeclarativeRules.Seed;
import io.muster.declarative.DeclarativeRules.Stay;
import io.muster.declarative.DeclarativeRules.Step;
import io.muster.declarative.DeclarativeRules.Wait;
import io.muster.spi.NodeName;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The declarative decision rules as a table (issue 23): for a spec of nodes a, b, c and what the
 * agent of {@code self} knows of each, the step it takes. {@code ?} unknown, {@code F} fresh (reset
 * for the version after it, {@code F5}), {@code M:id:members:running:formedAt}.
 */
class DeclarativeRulesTest {

  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");
  private static final NodeName C = NodeName.parse("rabbit@c");
  private static final NodeName X = NodeName.parse("rabbit@x");

  private static ClusterSpec spec(long version, Gospel gospel) {
    return new ClusterSpec(
        version,
        new TreeMap<>(Map.of(A, NodeType.DISC, B, NodeType.DISC, C, NodeType.DISC)),
        gospel);
  }

  private static Known known(String text) {
    if (text.equals("?")) {
      return new DeclarativeRules.Unknown();
    }
    if (text.startsWith("F")) {
      return new Fresh(text.length() == 1 ? 0 : Long.parseLong(text.substring(1)));
    }
    String[] p = text.split(":");
    Set<NodeName> members =
        Stream.of(p[2].split(","))
            .filter(s -> !s.isEmpty())
            .map(s -> NodeName.parse("rabbit@" + s))
            .collect(java.util.stream.Collectors.toSet());
    return new Member(p[1], members, p[3].equals("up"), Long.parseLong(p[4]));
  }

  static Stream<Arguments> gospelNode() {
    return Stream.of(
        // self, a, b, c, expected step
        Arguments.of("a", "F", "F", "F", "wait:rabbit@b (the gospel, fresh)"),
        Arguments.of("b", "F", "F", "F", "seed"),
        Arguments.of("a", "F", "F", "?", "wait:rabbit@b or any member of its cluster to run"),
        Arguments.of("a", "F", "M:k:b:up:1", "?", "join:rabbit@b:keep"),
        // the gospel is down, but c still runs in its cluster (the Clusterer's "B is up" case)
        Arguments.of("a", "F", "?", "M:k:b,c:up:1", "join:rabbit@c:keep"),
        // a holds another cluster's data: reset, then join
        Arguments.of("a", "M:z:a:up:1", "?", "M:k:b,c:up:1", "join:rabbit@c:reset"),
        // a's record does not list b, but its cluster is the one b's runs: an old member list
        Arguments.of("a", "M:k:a,c:down:1", "?", "M:k:b,c:up:1", "stay"),
        // a member of an old cluster y that b left still lists b: b's own cluster k is the one
        Arguments.of("c", "M:y:a,b:up:1", "M:k:b:up:1", "F", "join:rabbit@b:keep"),
        Arguments.of("a", "M:z:a:up:1", "?", "?", "wait:rabbit@b or any member of its cluster"),
        // a member of the gospel's cluster stays, whoever else is up
        Arguments.of("c", "?", "?", "M:k:b,c:down:1", "stay"),
        // the gospel node came back reset while its cluster runs on: it joins back in
        Arguments.of("b", "F", "F", "M:k:a,b,c:up:1", "join:rabbit@c:keep"),
        // a cluster member that lists the gospel but is not running is waited for
        Arguments.of("a", "F", "?", "M:k:b,c:down:1", "wait:rabbit@b or any member"),
        // nobody lists b, b is fresh, everyone answers, but a holds data: nobody starts a
        // cluster beside it (it may hold the gospel's cluster under a name it was told to join)
        Arguments.of("a", "M:z:a:up:1", "F", "F", "wait:rabbit@b or any member of its cluster"),
        Arguments.of(
            "b", "M:z:a:up:1", "F", "F", "wait:rabbit@b or any member of its cluster to run (the"),
        Arguments.of("b", "M:z::down:1", "F", "F", "wait:rabbit@b or any member"));
  }

  @ParameterizedTest(name = "gospel b: self {0}, a={1} b={2} c={3} -> {4}")
  @MethodSource
  void gospelNode(String self, String a, String b, String c, String expected) {
    assertStep(spec(3, new FromNode(B)), self, a, b, c, expected);
  }

  static Stream<Arguments> gospelReset() {
    return Stream.of(
        Arguments.of("a", "M:k:a,b,c:up:4", "?", "?", "reset"),
        Arguments.of("a", "F", "?", "?", "reset"),
        Arguments.of("a", "F5", "F5", "?", "wait:every listed node to reset for version 5"),
        Arguments.of("a", "F5", "F5", "M:k:a,b,c:up:4", "wait:every listed node to reset"),
        Arguments.of("a", "F5", "F5", "F5", "seed"),
        Arguments.of("b", "F5", "F5", "F5", "wait:rabbit@a (the lowest-named"),
        Arguments.of("b", "M:n:a:up:5", "F5", "F5", "join:rabbit@a:keep"),
        Arguments.of("a", "M:n:a,b:up:5", "?", "?", "stay"));
  }

  @ParameterizedTest(name = "gospel reset v5: self {0}, a={1} b={2} c={3} -> {4}")
  @MethodSource
  void gospelReset(String self, String a, String b, String c, String expected) {
    assertStep(spec(5, new Reset()), self, a, b, c, expected);
  }

  private static void assertStep(
      ClusterSpec spec, String self, String a, String b, String c, String expected) {
    Map<NodeName, Known> k = new HashMap<>();
    k.put(A, known(a));
    k.put(B, known(b));
    k.put(C, known(c));
    Step step = DeclarativeRules.decide(spec, NodeName.parse("rabbit@" + self), k);
    assertThat(text(step)).startsWith(expected);
  }

  private static String text(Step s) {
    if (s instanceof Wait w) {
      return "wait:" + w.forWhat();
    }
    if (s instanceof Join j) {
      return "join:" + j.via() + (j.resetFirst() ? ":reset" : ":keep");
    }
    if (s instanceof Seed) {
      return "seed";
    }
    if (s instanceof Stay) {
      return "stay";
    }
    return "reset:" + ((DeclarativeRules.Reset) s).why();
  }

  @org.junit.jupiter.api.Test
  void aNodeTheSpecDoesNotListIsLeftAloneAndVersionStepsDropOneNodeAtMost() {
    ClusterSpec v3 = spec(3, new FromNode(B));
    assertThat(text(DeclarativeRules.decide(v3, X, Map.of())))
        .startsWith("wait:a config that lists this node");
    ClusterSpec v4 =
        new ClusterSpec(
            4, new TreeMap<>(Map.of(A, NodeType.DISC, B, NodeType.DISC)), new FromNode(B));
    ClusterSpec v4two =
        new ClusterSpec(4, new TreeMap<>(Map.of(B, NodeType.DISC)), new FromNode(B));
    assertThat(DeclarativeRules.refusedStep(v3, v4)).isEmpty();
    assertThat(DeclarativeRules.refusedStep(v3, v4two))
        .hasValueSatisfying(why -> assertThat(why).contains("drops 2 nodes (rabbit@a, rabbit@c)"));
    assertThat(DeclarativeRules.toForget(A, v3, v4)).contains(C);
    assertThat(DeclarativeRules.toForget(C, v3, v4)).as("never the local node").isEmpty();
  }
}
