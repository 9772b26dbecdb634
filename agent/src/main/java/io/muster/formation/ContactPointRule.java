package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The lockless formation rule of formation.md, as a pure function. In order: join the formed
 * cluster with the most live answering formed agents (their self-reported member lists do not
 * count), then the oldest; else wait while a peer is rejoining its recorded cluster (its node is
 * not back yet, and seeding beside it would make a second cluster); else join a peer that is
 * forming; else wait while this agent or an answering peer knows of a cluster nobody answers for
 * (told to join it, or saw it formed: its members lost their data); else seed only when every node
 * known to anyone (the union of discovered sets and probers) has answered, that union has been
 * stable for the margin, is at least the target size, and this node has the lowest name in it;
 * otherwise keep probing.
 *
 * <p>Why one seed: a node seeds only after every node it knows of answered "booting". A node that
 * answered it has recorded it as a prober, so it knows a lower name and can never seed itself; and
 * a node that seeds first answers "forming" from then on, which makes the others join.
 */
public final class ContactPointRule {

  private ContactPointRule() {}

  public static Outcome decide(Observation o) {
    Outcome formed = joinFormed(o);
    if (formed != null) {
      return formed;
    }
    Outcome rejoining = awaitRejoining(o);
    if (rejoining != null) {
      return rejoining;
    }
    Outcome forming = joinForming(o);
    if (forming != null) {
      return forming;
    }
    Outcome orphaned = awaitKnownCluster(o);
    if (orphaned != null) {
      return orphaned;
    }
    Set<NodeName> known = known(o);
    List<NodeName> silent =
        known.stream().filter(n -> !n.equals(o.self()) && !o.answers().containsKey(n)).toList();
    if (!silent.isEmpty()) {
      return new Outcome.KeepProbing(
          "waiting for "
              + silent.size()
              + " of "
              + (known.size() - 1)
              + " known peers to answer: "
              + abbreviate(silent));
    }
    if (known.size() < o.targetSize()) {
      return new Outcome.KeepProbing(
          "knows " + known.size() + " nodes; target_cluster_size_hint is " + o.targetSize());
    }
    if (o.knownStableFor().compareTo(o.stableMargin()) < 0) {
      return new Outcome.KeepProbing(
          "the set of "
              + known.size()
              + " known nodes changed "
              + o.knownStableFor().toMillis()
              + " ms ago; it must hold for "
              + o.stableMargin().toMillis()
              + " ms");
    }
    NodeName lowest = known.iterator().next();
    if (lowest.equals(o.self())) {
      return new Outcome.SeedSelf();
    }
    return new Outcome.KeepProbing(
        "all " + known.size() + " known nodes answered; " + lowest + " (lowest name) seeds");
  }

  /** Everything this node knows of: itself, its discovered set, its probers, peers' sets. */
  public static Set<NodeName> known(Observation o) {
    Set<NodeName> known = new TreeSet<>();
    known.add(o.self());
    known.addAll(o.discovered());
    known.addAll(o.probedBy());
    for (NodeInfo info : o.answers().values()) {
      known.add(info.node());
      known.addAll(info.discovered());
    }
    return known;
  }

  private static Outcome joinFormed(Observation o) {
    return formedCluster(o.answers(), o.self()).orElse(null);
  }

  /**
   * The formed cluster to join among {@code answers}: the one with the most live answering formed
   * agents, then the oldest; its formed agents first, then the members they report.
   */
  public static Optional<Outcome.JoinOther> formedCluster(
      Map<NodeName, NodeInfo> answers, NodeName self) {
    Map<String, List<NodeInfo>> byCluster = new TreeMap<>();
    for (NodeInfo info : answers.values()) {
      if (info.state() == NodeState.FORMED) {
        byCluster.computeIfAbsent(info.clusterId(), k -> new ArrayList<>()).add(info);
      }
    }
    if (byCluster.isEmpty()) {
      return Optional.empty();
    }
    String best = null;
    int bestSize = -1;
    Instant bestFormedAt = null;
    for (Map.Entry<String, List<NodeInfo>> e : byCluster.entrySet()) {
      // live answering formed agents only: a member list is what a peer says, not who is up
      int size = e.getValue().size();
      Instant formedAt = oldestFormedAt(e.getValue());
      boolean better =
          size > bestSize
              || size == bestSize
                  && bestFormedAt != null
                  && formedAt != null
                  && formedAt.isBefore(bestFormedAt);
      if (better) {
        best = e.getKey();
        bestSize = size;
        bestFormedAt = formedAt;
      }
    }
    List<NodeInfo> answering = new ArrayList<>(byCluster.get(best));
    answering.sort(Comparator.comparing(NodeInfo::node));
    Set<NodeName> order = new LinkedHashSet<>();
    answering.forEach(i -> order.add(i.node()));
    order.addAll(members(answering));
    order.remove(self);
    List<NodeName> peers = List.copyOf(order);
    Set<NodeName> proof = new TreeSet<>();
    answering.forEach(i -> proof.add(i.node()));
    return Optional.of(new Outcome.JoinOther(peers.get(0), peers, best, proof));
  }

  private static Set<NodeName> members(List<NodeInfo> infos) {
    Set<NodeName> members = new TreeSet<>();
    for (NodeInfo i : infos) {
      members.add(i.node());
      members.addAll(i.members());
    }
    return members;
  }

  private static Instant oldestFormedAt(List<NodeInfo> infos) {
    return infos.stream()
        .map(NodeInfo::formedAt)
        .filter(Objects::nonNull)
        .min(Comparator.naturalOrder())
        .orElse(null);
  }

  private static Outcome awaitRejoining(Observation o) {
    return o.answers().values().stream()
        .filter(i -> i.state() == NodeState.REJOINING)
        .min(Comparator.comparing(NodeInfo::node))
        .<Outcome>map(
            i ->
                new Outcome.KeepProbing(
                    i.node()
                        + " is rejoining cluster "
                        + i.clusterId()
                        + " from its record; waiting for its node to be back (never seeding"
                        + " beside it)"))
        .orElse(null);
  }

  /**
   * Nobody answers formed, forming or rejoining, yet this agent or an answering peer knows of a
   * cluster: a peer was told to join it, or saw it formed. Its members are gone or lost their data
   * (lockless backends keep no store, so this knowledge is the only trace of it): seeding now would
   * start a second cluster under its name's peers (formation.md invariant 10). Wait. A peer told to
   * join a seed that never completed gives up at its ready timeout and forgets it; a cluster seen
   * formed is only forgotten when the agents that saw it restart, the operator's decision.
   */
  private static Outcome awaitKnownCluster(Observation o) {
    Map<String, Set<NodeName>> knownBy = new TreeMap<>();
    o.knowsOf().forEach(id -> knownBy.computeIfAbsent(id, k -> new TreeSet<>()).add(o.self()));
    for (NodeInfo i : o.answers().values()) {
      i.knowsOf().forEach(id -> knownBy.computeIfAbsent(id, k -> new TreeSet<>()).add(i.node()));
    }
    if (knownBy.isEmpty()) {
      return null;
    }
    Map.Entry<String, Set<NodeName>> first = knownBy.entrySet().iterator().next();
    return new Outcome.KeepProbing(
        "cluster "
            + first.getKey()
            + " is known to "
            + abbreviate(List.copyOf(first.getValue()))
            + " (told to join it, or saw it formed), but no agent answers for it; never seeding"
            + " beside it. If every member of it lost its data, restart the agents that know of"
            + " it once you have decided to form a new cluster");
  }

  private static Outcome joinForming(Observation o) {
    return o.answers().values().stream()
        .filter(i -> i.state() == NodeState.FORMING)
        .min(Comparator.comparing(NodeInfo::node))
        .<Outcome>map(i -> new Outcome.JoinOther(i.node(), List.of(i.node()), i.clusterId()))
        .orElse(null);
  }

  static String abbreviate(List<NodeName> nodes) {
    String shown =
        nodes.stream().limit(5).map(NodeName::toString).collect(Collectors.joining(", "));
    return nodes.size() > 5 ? shown + ", ... (" + (nodes.size() - 5) + " more)" : shown;
  }
}
