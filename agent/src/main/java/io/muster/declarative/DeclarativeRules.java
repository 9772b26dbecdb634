package io.muster.declarative;

import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.spi.NodeName;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a node does under a declarative {@link ClusterSpec} (formation.md "Declarative mode", the
 * Clusterer's rules), from what its agent knows of itself and of every listed node. Pure: no I/O,
 * no clock; {@code DeclarativeRulesTest} is its table. It never guesses: where the Clusterer would
 * wait, it says {@link Wait} and what for.
 *
 * <p>Gospel {@code {node, G}}: the cluster whose members list G keeps its data. A node of that
 * cluster stays; any other node joins a running member of it, reset first when it holds data of
 * another cluster. When every listed node answers fresh, G's (empty) data is the gospel: G starts
 * the cluster and the others join it; while any listed node holds a cluster's data (or was told to
 * join one) and none runs G's cluster, nobody starts one. Gospel {@code reset}: every node is reset
 * once per version; once every listed node has reset for this version the lowest-named starts the
 * cluster, and the others join a member formed at this version.
 */
public final class DeclarativeRules {

  private DeclarativeRules() {}

  /** What the agent knows of one listed node. */
  public sealed interface Known permits Unknown, Fresh, Member {}

  /** No answer from its agent (down, unreachable, or not yet started). */
  public record Unknown() implements Known {}

  /**
   * Its agent answers and its node holds no data; {@code resetFor}: the last version it reset for.
   */
  public record Fresh(long resetFor) implements Known {}

  /**
   * A member of a cluster: its id, its members as the node reports them, whether its node runs, and
   * the spec version the cluster was formed at.
   */
  public record Member(String clusterId, Set<NodeName> members, boolean running, long formedAt)
      implements Known {
    public Member {
      members = Set.copyOf(members);
    }
  }

  /** What to do. */
  public sealed interface Step permits Wait, Stay, Seed, Join, Reset {}

  /** Nothing yet; {@code forWhat} is what status shows ("waiting for ..."). */
  public record Wait(String forWhat) implements Step {}

  /** This node is already where the spec wants it. */
  public record Stay() implements Step {}

  /** Start the cluster (the node holds no data). */
  public record Seed() implements Step {}

  /** Join the cluster {@code via} runs in; reset this node's data first when {@code resetFirst}. */
  public record Join(NodeName via, boolean resetFirst) implements Step {}

  /** Reset this node's data (gospel {@code reset}, a new version); decide again after. */
  public record Reset(String why) implements Step {}

  /**
   * @param known what the agent knows of each listed node, this node included; a listed node
   *     missing from the map is {@link Unknown}
   */
  public static Step decide(ClusterSpec spec, NodeName self, Map<NodeName, Known> known) {
    if (!spec.nodes().containsKey(self)) {
      return new Wait(
          "a config that lists this node: version "
              + spec.version()
              + " does not, so it is left as it is");
    }
    Known me = known.getOrDefault(self, new Unknown());
    return spec.gospel() instanceof FromNode g
        ? fromNode(spec, self, me, g.node(), known)
        : reset(spec, self, me, known);
  }

  private static Step fromNode(
      ClusterSpec spec, NodeName self, Known me, NodeName gospel, Map<NodeName, Known> known) {
    if (me instanceof Member m && m.members().contains(gospel)) {
      return new Stay();
    }
    // the gospel's cluster: G's own when G answers as a member; else the one every running
    // member that lists G names (member lists only grow, so an old cluster G left may list it too)
    Set<String> gospelClusters =
        known.get(gospel) instanceof Member gm
            ? Set.of(gm.clusterId())
            : spec.names().stream()
                .filter(n -> !n.equals(self))
                .filter(
                    n ->
                        known.get(n) instanceof Member m
                            && m.running()
                            && m.members().contains(gospel))
                .map(n -> ((Member) known.get(n)).clusterId())
                .collect(Collectors.toSet());
    if (gospelClusters.size() > 1) {
      return new Wait(
          "one cluster of "
              + gospel
              + ": running members that list it name "
              + gospelClusters.size()
              + " clusters ("
              + String.join(", ", new TreeSet<>(gospelClusters))
              + "); waiting for "
              + gospel
              + " itself to answer");
    }
    Optional<NodeName> via =
        spec.names().stream()
            .filter(n -> !n.equals(self))
            .filter(
                n ->
                    known.get(n) instanceof Member m
                        && m.running()
                        && gospelClusters.contains(m.clusterId())
                        && (m.members().contains(gospel) || known.get(gospel) instanceof Member))
            .findFirst();
    if (via.isPresent()) {
      if (me instanceof Member m
          && known.get(via.get()) instanceof Member v
          && m.clusterId().equals(v.clusterId())) {
        // the gospel's cluster is this node's own: its member list was only out of date
        return new Stay();
      }
      return new Join(via.get(), me instanceof Member);
    }
    SortedSet<NodeName> unknown = unknown(spec, known);
    SortedSet<NodeName> holding =
        spec.names().stream()
            .filter(n -> known.get(n) instanceof Member)
            .collect(Collectors.toCollection(TreeSet::new));
    if (unknown.isEmpty() && holding.isEmpty()) {
      return gospel.equals(self)
          ? new Seed()
          : new Wait(gospel + " (the gospel, fresh) to start the cluster, then join it");
    }
    String what = gospel + " or any member of its cluster to run";
    if (unknown.isEmpty() && known.get(gospel) instanceof Fresh) {
      // every node answers, none runs the gospel's cluster, but some hold (or were told to join)
      // a cluster: starting a new one beside it could lose data, so nobody does
      what +=
          " (the gospel is fresh, and starts a cluster only once every listed node is: "
              + names(holding)
              + " hold"
              + (holding.size() == 1 ? "s" : "")
              + " a cluster's data or were told to join one)";
    }
    if (me instanceof Member) {
      what += " (this node holds another cluster's data: it is reset, then joins)";
    }
    if (!unknown.isEmpty()) {
      what += "; no answer from " + names(unknown);
    }
    return new Wait(what);
  }

  private static Step reset(ClusterSpec spec, NodeName self, Known me, Map<NodeName, Known> known) {
    long v = spec.version();
    if (me instanceof Member m && m.formedAt() >= v) {
      return new Stay();
    }
    if (me instanceof Member m) {
      return new Reset(
          "gospel reset: version "
              + v
              + " resets every node (its cluster formed at "
              + m.formedAt()
              + ")");
    }
    if (me instanceof Fresh f && f.resetFor() < v) {
      return new Reset("gospel reset: version " + v + " resets every node");
    }
    Optional<NodeName> via =
        spec.names().stream()
            .filter(n -> !n.equals(self))
            .filter(n -> known.get(n) instanceof Member m && m.running() && m.formedAt() >= v)
            .findFirst();
    if (via.isPresent()) {
      return new Join(via.get(), false);
    }
    SortedSet<NodeName> notReset =
        spec.names().stream()
            .filter(n -> !(known.get(n) instanceof Fresh f && f.resetFor() >= v))
            .collect(Collectors.toCollection(TreeSet::new));
    if (notReset.isEmpty()) {
      NodeName lowest = spec.names().first();
      return lowest.equals(self)
          ? new Seed()
          : new Wait(lowest + " (the lowest-named, all reset for version " + v + ") to start");
    }
    return new Wait(
        "every listed node to reset for version " + v + "; not yet: " + names(notReset));
  }

  private static SortedSet<NodeName> unknown(ClusterSpec spec, Map<NodeName, Known> known) {
    return spec.names().stream()
        .filter(n -> !(known.get(n) instanceof Fresh) && !(known.get(n) instanceof Member))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String names(Set<NodeName> nodes) {
    return nodes.stream().map(NodeName::toString).collect(Collectors.joining(", "));
  }

  /**
   * Why {@code offered} may not follow {@code inForce}, if it may not: a version step drops at most
   * one node (each drop is an operator's forget, formation.md "Declarative mode").
   */
  public static Optional<String> refusedStep(ClusterSpec inForce, ClusterSpec offered) {
    SortedSet<NodeName> dropped = offered.droppedSince(inForce);
    if (offered.version() > inForce.version() && dropped.size() > 1) {
      return Optional.of(
          "version "
              + offered.version()
              + " drops "
              + dropped.size()
              + " nodes ("
              + names(dropped)
              + ") from version "
              + inForce.version()
              + "; drop one node per version, so each is forgotten on its own");
    }
    return Optional.empty();
  }

  /** The node {@code self} forgets when {@code offered} replaces {@code inForce}: never itself. */
  public static Optional<NodeName> toForget(
      NodeName self, ClusterSpec inForce, ClusterSpec offered) {
    return offered.droppedSince(inForce).stream().filter(n -> !n.equals(self)).findFirst();
  }
}
