package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The local node's formation state, shared by the formation thread and the peer port. Every method
 * is synchronized: recording a prober and deciding to seed must be atomic with respect to each
 * other, or two nodes could each seed without having seen the other.
 */
public final class LocalNode {

  private final NodeName self;
  private final Clock clock;
  private final Instant startedAt;
  private NodeState state = NodeState.BOOTING;
  private String clusterId;
  private Instant formedAt;
  private final Set<NodeName> members = new TreeSet<>();
  private Set<NodeName> discovered = Set.of();
  private final Set<NodeName> probedBy = new TreeSet<>();
  private Decision decision;
  private Set<NodeName> lastKnown = Set.of();
  private Instant knownChangedAt;

  public LocalNode(NodeName self, Clock clock) {
    this.self = self;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.knownChangedAt = startedAt;
  }

  public NodeName self() {
    return self;
  }

  /** What the peer port answers. */
  public synchronized NodeInfo info() {
    Set<NodeName> known = new TreeSet<>(discovered);
    known.addAll(probedBy);
    return new NodeInfo(self, state, clusterId, members, startedAt, formedAt, known);
  }

  /** Records that {@code from}'s agent probed us, then answers it, atomically. */
  public synchronized NodeInfo probedBy(NodeName from) {
    if (from != null && !from.equals(self)) {
      probedBy.add(from);
    }
    return info();
  }

  public synchronized void discovered(Collection<NodeName> nodes) {
    discovered = Set.copyOf(nodes);
  }

  /** Nodes to probe next: everything known except this node. */
  public synchronized Set<NodeName> probeTargets(Map<NodeName, NodeInfo> lastAnswers) {
    Set<NodeName> targets = new TreeSet<>(discovered);
    targets.addAll(probedBy);
    lastAnswers.values().forEach(i -> targets.addAll(i.discovered()));
    targets.remove(self);
    return targets;
  }

  /**
   * Evaluates the contact-point rule on the current state and, when it says seed or join, takes
   * that decision in the same critical section.
   */
  public synchronized Outcome decideLockless(
      Map<NodeName, NodeInfo> answers, Duration stableMargin, int targetSize) {
    Instant now = clock.instant();
    Observation probe =
        new Observation(
            self, discovered, probedBy, answers, Duration.ZERO, stableMargin, targetSize);
    Set<NodeName> known = ContactPointRule.known(probe);
    if (!known.equals(lastKnown)) {
      lastKnown = Set.copyOf(known);
      knownChangedAt = now;
    }
    Observation o =
        new Observation(
            self,
            discovered,
            probedBy,
            answers,
            Duration.between(knownChangedAt, now),
            stableMargin,
            targetSize);
    Outcome outcome = ContactPointRule.decide(o);
    if (outcome instanceof Outcome.SeedSelf) {
      decideSeed(newClusterId());
    } else if (outcome instanceof Outcome.JoinOther join) {
      decideJoin(join);
    }
    return outcome;
  }

  public static String newClusterId() {
    return UUID.randomUUID().toString();
  }

  public synchronized Decision decideSeed(String id) {
    state = NodeState.FORMING;
    clusterId = id;
    members.clear();
    members.add(self);
    decision = new Decision.Seed(self, id);
    return decision;
  }

  public synchronized Decision decideJoin(Outcome.JoinOther join) {
    state = NodeState.BOOTING;
    clusterId = null;
    decision = new Decision.Join(join.target(), join.peers(), join.clusterId());
    return decision;
  }

  /** Restores a recorded membership: the node rejoins its last-seen peers. */
  public synchronized Decision rejoin(Membership m) {
    state = NodeState.FORMED;
    clusterId = m.clusterId();
    formedAt = m.formedAt();
    members.clear();
    members.addAll(m.members());
    members.add(self);
    Set<NodeName> others = new TreeSet<>(m.members());
    others.remove(self);
    NodeName first = others.isEmpty() ? self : others.iterator().next();
    decision = new Decision.Rejoin(first, others.stream().toList(), m.clusterId());
    return decision;
  }

  /** The node reported completion: this node is a member of the decided cluster. */
  public synchronized Membership complete(Set<NodeName> joinedMembers) {
    if (decision == null) {
      throw new IllegalStateException("no decision has been taken yet");
    }
    if (state != NodeState.FORMED) {
      state = NodeState.FORMED;
      clusterId = decision.clusterId();
      formedAt = clock.instant();
      members.add(self);
      members.addAll(decision.peers());
      members.addAll(joinedMembers);
    }
    return membership();
  }

  /** Merges members reported by formed peers of the same cluster; true when something was new. */
  public synchronized boolean mergeMembers(Collection<NodeInfo> answers) {
    if (state != NodeState.FORMED) {
      return false;
    }
    boolean changed = false;
    for (NodeInfo i : answers) {
      if (i.state() == NodeState.FORMED && clusterId.equals(i.clusterId())) {
        changed |= members.add(i.node());
        changed |= members.addAll(i.members());
        if (i.formedAt() != null && i.formedAt().isBefore(formedAt)) {
          formedAt = i.formedAt();
          changed = true;
        }
      }
    }
    return changed;
  }

  /** The node aborted: forget the decision and decide again. */
  public synchronized Decision abort() {
    if (decision == null) {
      throw new IllegalStateException("no decision has been taken yet");
    }
    if (state == NodeState.FORMED) {
      throw new IllegalStateException("this node is a member of cluster " + clusterId);
    }
    Decision aborted = decision;
    decision = null;
    state = NodeState.BOOTING;
    clusterId = null;
    members.clear();
    return aborted;
  }

  public synchronized Membership membership() {
    return new Membership(self, clusterId, members, formedAt);
  }

  public synchronized Decision decision() {
    return decision;
  }

  public synchronized NodeState state() {
    return state;
  }

  public synchronized Set<NodeName> probedByView() {
    return Set.copyOf(probedBy);
  }

  public Instant startedAt() {
    return startedAt;
  }
}
