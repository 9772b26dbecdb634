package io.muster.formation;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The lockless rule as a table: each row's name is the behaviour it pins down. */
class ContactPointRuleTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration MARGIN = Duration.ofSeconds(1);

  static NodeName n(int i) {
    return NodeName.parse("rabbit@127.0.0." + i);
  }

  static Set<NodeName> nodes(int... is) {
    return Arrays.stream(is).mapToObj(ContactPointRuleTest::n).collect(Collectors.toSet());
  }

  static NodeInfo booting(int i, int... discovered) {
    return new NodeInfo(n(i), NodeState.BOOTING, null, Set.of(), T0, null, nodes(discovered));
  }

  /** A booting agent told to join {@code cluster}, or that saw it formed. */
  static NodeInfo knowing(int i, String cluster, int... discovered) {
    return new NodeInfo(
        n(i), NodeState.BOOTING, null, Set.of(), T0, null, nodes(discovered), Set.of(cluster));
  }

  static NodeInfo forming(int i, String cluster) {
    return new NodeInfo(n(i), NodeState.FORMING, cluster, Set.of(n(i)), T0, null, Set.of());
  }

  static NodeInfo formed(int i, String cluster, Instant formedAt, int... members) {
    return new NodeInfo(n(i), NodeState.FORMED, cluster, nodes(members), T0, formedAt, Set.of());
  }

  static NodeInfo rejoining(int i, String cluster, int... members) {
    return new NodeInfo(n(i), NodeState.REJOINING, cluster, nodes(members), T0, T0, Set.of());
  }

  static Map<NodeName, NodeInfo> answers(NodeInfo... infos) {
    Map<NodeName, NodeInfo> m = new HashMap<>();
    for (NodeInfo i : infos) {
      m.put(i.node(), i);
    }
    return m;
  }

  static Observation obs(
      int self,
      Set<NodeName> discovered,
      Set<NodeName> probedBy,
      Map<NodeName, NodeInfo> answers,
      Duration stable,
      int target) {
    return new Observation(n(self), discovered, probedBy, answers, stable, MARGIN, target);
  }

  static Stream<Arguments> table() {
    Duration stable = Duration.ofSeconds(5);
    return Stream.of(
        Arguments.of(
            "lowestNodeSeedsWhenAllKnownNodesAnsweredAndTheSetIsStable",
            obs(
                1,
                nodes(1, 2, 3),
                Set.of(),
                answers(booting(2, 1, 2, 3), booting(3, 1, 2, 3)),
                stable,
                1),
            "seed"),
        Arguments.of(
            "higherNodeWaitsForTheLowestToSeed",
            obs(
                2,
                nodes(1, 2, 3),
                Set.of(),
                answers(booting(1, 1, 2, 3), booting(3, 1, 2, 3)),
                stable,
                1),
            "keep: all 3 known nodes answered; rabbit@127.0.0.1 (lowest name) seeds"),
        Arguments.of(
            "nodeWaitsWhileAKnownPeerHasNotAnswered",
            obs(1, nodes(1, 2, 3), Set.of(), answers(booting(2, 1, 2, 3)), stable, 1),
            "keep: waiting for 1 of 2 known peers to answer: rabbit@127.0.0.3"),
        Arguments.of(
            "nodeSeenOnlyByAPeersDiscoveryMustAnswerToo",
            obs(1, nodes(1, 2), Set.of(), answers(booting(2, 1, 2, 3)), stable, 1),
            "keep: waiting for 1 of 2 known peers to answer: rabbit@127.0.0.3"),
        Arguments.of(
            "nodeThatProbedUsButIsInvisibleToTheBackendIsNeverIgnored",
            obs(2, nodes(2, 3), nodes(1), answers(booting(3, 2, 3)), stable, 1),
            "keep: waiting for 1 of 2 known peers to answer: rabbit@127.0.0.1"),
        Arguments.of(
            "nodeThatProbedUsAndIsLowerPreventsOurSeed",
            obs(2, nodes(2, 3), nodes(1), answers(booting(3, 2, 3), booting(1, 1)), stable, 1),
            "keep: all 3 known nodes answered; rabbit@127.0.0.1 (lowest name) seeds"),
        Arguments.of(
            "seedWaitsUntilTheKnownSetHeldStableForTheMargin",
            obs(1, nodes(1, 2), Set.of(), answers(booting(2, 1, 2)), Duration.ofMillis(300), 1),
            "keep: the set of 2 known nodes changed 300 ms ago; it must hold for 1000 ms"),
        Arguments.of(
            "seedWaitsForTargetClusterSizeHint",
            obs(1, nodes(1, 2), Set.of(), answers(booting(2, 1, 2)), stable, 3),
            "keep: knows 2 nodes; target_cluster_size_hint is 3"),
        Arguments.of(
            "loneNodeWithTargetOneSeedsAlone",
            obs(1, nodes(1), Set.of(), answers(), stable, 1),
            "seed"),
        Arguments.of(
            "nodeJoinsAPeerThatIsForming",
            obs(
                1,
                nodes(1, 2, 3),
                Set.of(),
                answers(forming(2, "c2"), booting(3, 1, 2, 3)),
                stable,
                1),
            "join rabbit@127.0.0.2 [rabbit@127.0.0.2] c2"),
        Arguments.of(
            "lowerNameDoesNotSeedWhenAPeerIsAlreadyForming",
            obs(1, nodes(1, 2), Set.of(), answers(forming(2, "c2")), stable, 1),
            "join rabbit@127.0.0.2 [rabbit@127.0.0.2] c2"),
        Arguments.of(
            "formedClusterWinsOverAFormingPeer",
            obs(
                4,
                nodes(1, 2, 4),
                Set.of(),
                answers(forming(2, "c2"), formed(1, "c1", T0, 1, 3)),
                stable,
                1),
            "join rabbit@127.0.0.1 [rabbit@127.0.0.1, rabbit@127.0.0.3] c1"),
        Arguments.of(
            "newNodeJoinsTheFormedClusterNeverSeeds",
            obs(
                0,
                nodes(0, 1, 2),
                Set.of(),
                answers(formed(1, "c1", T0, 1, 2), formed(2, "c1", T0, 1, 2)),
                stable,
                1),
            "join rabbit@127.0.0.1 [rabbit@127.0.0.1, rabbit@127.0.0.2] c1"),
        Arguments.of(
            "clusterWithMoreLiveAnsweringFormedAgentsIsJoined",
            obs(
                9,
                nodes(1, 5, 6, 9),
                Set.of(),
                answers(
                    formed(1, "small", T0, 1),
                    formed(5, "big", T0.plusSeconds(9), 5, 6, 7),
                    formed(6, "big", T0.plusSeconds(9), 5, 6, 7)),
                stable,
                1),
            "join rabbit@127.0.0.5 [rabbit@127.0.0.5, rabbit@127.0.0.6, rabbit@127.0.0.7] big"),
        Arguments.of(
            "formedPeerListingFiveMembersLosesToThreeLiveFormedAgents",
            obs(
                9,
                nodes(1, 5, 6, 7, 9),
                Set.of(),
                answers(
                    formed(1, "stale", T0, 1, 10, 11, 12, 13),
                    formed(5, "live", T0.plusSeconds(9), 5, 6, 7),
                    formed(6, "live", T0.plusSeconds(9), 5, 6, 7),
                    formed(7, "live", T0.plusSeconds(9), 5, 6, 7)),
                stable,
                1),
            "join rabbit@127.0.0.5 [rabbit@127.0.0.5, rabbit@127.0.0.6, rabbit@127.0.0.7] live"),
        Arguments.of(
            "rejoiningPeerIsNeitherJoinedNorSeededBeside",
            obs(1, nodes(1, 2), Set.of(), answers(rejoining(2, "c2", 2, 3)), stable, 1),
            "keep: rabbit@127.0.0.2 is rejoining cluster c2 from its record; waiting for its node"
                + " to be back (never seeding beside it)"),
        Arguments.of(
            "formedClusterIsJoinedWhileAnotherMemberIsStillRejoining",
            obs(
                1,
                nodes(1, 2, 3),
                Set.of(),
                answers(formed(2, "c", T0, 2, 3), rejoining(3, "c", 2, 3)),
                stable,
                1),
            "join rabbit@127.0.0.2 [rabbit@127.0.0.2, rabbit@127.0.0.3] c"),
        Arguments.of(
            "olderFormedClusterWinsATieOnSize",
            obs(
                9,
                nodes(1, 5, 9),
                Set.of(),
                answers(formed(1, "young", T0.plusSeconds(5), 1, 2), formed(5, "old", T0, 5, 6)),
                stable,
                1),
            "join rabbit@127.0.0.5 [rabbit@127.0.0.5, rabbit@127.0.0.6] old"),
        Arguments.of(
            "blankSeedWaitsWhileAPeerWasToldToJoinTheClusterItsDataHeld",
            obs(1, nodes(1, 2), Set.of(), answers(knowing(2, "lost", 1, 2)), stable, 1),
            "keep: cluster lost is known to rabbit@127.0.0.2 (told to join it, or saw it formed),"
                + " but no agent answers for it; never seeding beside it. If every member of it"
                + " lost its data, restart the agents that know of it once you have decided to"
                + " form a new cluster"),
        Arguments.of(
            "agentThatSawAClusterFormedNeverSeedsWhenNoneOfItsMembersAnswers",
            new Observation(
                n(1),
                nodes(1, 2),
                Set.of(),
                answers(booting(2, 1, 2)),
                stable,
                MARGIN,
                1,
                Set.of("seen")),
            "keep: cluster seen is known to rabbit@127.0.0.1 (told to join it, or saw it formed),"
                + " but no agent answers for it; never seeding beside it. If every member of it"
                + " lost its data, restart the agents that know of it once you have decided to"
                + " form a new cluster"),
        Arguments.of(
            "aPeerThatKnowsOfAClusterDoesNotHoldBackJoiningAFormedOne",
            obs(
                3,
                nodes(1, 2, 3),
                Set.of(),
                answers(knowing(2, "old", 1, 2, 3), formed(1, "live", T0, 1)),
                stable,
                1),
            "join rabbit@127.0.0.1 [rabbit@127.0.0.1] live"),
        Arguments.of(
            "aPeerThatKnowsOfAClusterDoesNotHoldBackJoiningAFormingSeed",
            obs(
                3,
                nodes(1, 2, 3),
                Set.of(),
                answers(knowing(2, "c1", 1, 2, 3), forming(1, "c1")),
                stable,
                1),
            "join rabbit@127.0.0.1 [rabbit@127.0.0.1] c1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void rule(String behaviour, Observation o, String expected) {
    assertThat(render(ContactPointRule.decide(o))).isEqualTo(expected);
  }

  static String render(Outcome outcome) {
    if (outcome instanceof Outcome.SeedSelf) {
      return "seed";
    }
    if (outcome instanceof Outcome.JoinOther j) {
      return "join " + j.target() + " " + j.peers() + " " + j.clusterId();
    }
    return "keep: " + ((Outcome.KeepProbing) outcome).reason();
  }
}
