// Over 350 lines: the local node's formation state and every transition of it, guarded as one.
package io.muster.formation.core;

import io.muster.declarative.ClusterSpec;
import io.muster.declarative.DeclaredConfig;
import io.muster.formation.ContactPointRule;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.Observation;
import io.muster.formation.Outcome;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The local node's formation state: what it decided, what it knows of its peers, who probed it.
 * Pure and single-threaded: the time of every change is passed in. In production {@code LocalNode}
 * guards it with one monitor, so that recording a prober and deciding to seed stay atomic with
 * respect to each other (else two nodes could each seed without having seen the other); in the
 * simulator one thread drives everything.
 */
public final class NodeRecord {

  private final NodeName self;
  private final Instant startedAt;
  private NodeState state = NodeState.BOOTING;

  /** Rejoined from its record, and its node has not completed since (peers see REJOINING). */
  private boolean rejoining;

  private String clusterId;
  private Instant formedAt;
  private final Set<NodeName> members = new TreeSet<>();
  private Set<NodeName> discovered = Set.of();

  /** Agents that probed this one, with when they last did. */
  private final Map<NodeName, Instant> probedBy = new TreeMap<>();

  /** A prober that has not probed for this long, and that no discovery lists, is forgotten. */
  private Duration proberExpiry = Duration.ofSeconds(30);

  private Decision decision;

  /**
   * Clusters this agent saw formed (a peer answered formed for them) and is not a member of. Kept
   * for the agent's lifetime, across aborts: it is what a lockless backend has instead of a durable
   * formed marker (formation.md invariant 10).
   */
  private final Set<String> formedSeen = new TreeSet<>();

  /** Declarative mode: the cluster config in force, whose version and digest peers are told. */
  private DeclaredConfig declared;

  /** Declarative mode: the config version its decision (or recorded membership) was taken at. */
  private long decidedAt;

  private Set<NodeName> lastKnown = Set.of();
  private Instant knownChangedAt;

  public NodeRecord(NodeName self, Instant startedAt) {
    this.self = self;
    this.startedAt = startedAt;
    this.knownChangedAt = startedAt;
  }

  public NodeName self() {
    return self;
  }

  /** Sets how long a silent prober is remembered (the core derives it from its tuning). */
  public void proberExpiry(Duration expiry) {
    this.proberExpiry = expiry;
  }

  /**
   * Forgets probers that have not probed for {@link #proberExpiry} and that discovery does not list
   * (a ghost: a name that probed once, a pod that came back under a new address). Safe because a
   * live prober probes every round, and an agent decides only on a round it issued within {@code 2
   * x probe_timeout} (formation.md peer port); the expiry is several rounds longer than that.
   */
  private void forgetSilentProbers(Instant now) {
    if (now == null) {
      return;
    }
    probedBy
        .entrySet()
        .removeIf(
            e ->
                !discovered.contains(e.getKey())
                    && Duration.between(e.getValue(), now).compareTo(proberExpiry) > 0);
  }

  /**
   * Declarative mode: this node's data is of cluster {@code id}, which it has not rejoined: peers
   * must not count it fresh (it answers booting, knowing of that cluster).
   */
  public void holdsDataOf(String id) {
    formedSeen.add(id);
  }

  /** Declarative mode: every answer tells the version and digest of this config's one in force. */
  public void declared(DeclaredConfig config) {
    this.declared = config;
  }

  public Instant startedAt() {
    return startedAt;
  }

  /** What the peer port answers. */
  public NodeInfo info() {
    Set<NodeName> known = new TreeSet<>(discovered);
    known.addAll(probedBy.keySet());
    NodeState told = rejoining ? NodeState.REJOINING : state;
    ClusterSpec spec = declared == null ? null : declared.inForce();
    return new NodeInfo(
        self,
        told,
        clusterId,
        members,
        startedAt,
        formedAt,
        known,
        knowsOf(),
        spec == null ? 0 : spec.version(),
        spec == null ? null : spec.digest(),
        decidedAt);
  }

  /**
   * The clusters this agent knows of without answering for them: the one its pending join names (it
   * was told to join it), and every one it saw formed.
   */
  public Set<String> knowsOf() {
    Set<String> ids = new TreeSet<>(formedSeen);
    if (decision instanceof Decision.Join j && state != NodeState.FORMED && j.clusterId() != null) {
      ids.add(j.clusterId());
    }
    if (clusterId != null) {
      ids.remove(clusterId);
    }
    return ids;
  }

  /**
   * Remembers the clusters that {@code answers} say are formed. Not in declarative mode: its rules
   * seed only once every listed node answers fresh, and after a gospel {@code reset} the clusters
   * of the old version, still formed while their nodes reset one by one, must not make a reset node
   * look like a member of them.
   */
  public void learn(Collection<NodeInfo> answers) {
    if (declared != null) {
      return;
    }
    for (NodeInfo i : answers) {
      if (i.state() == NodeState.FORMED && i.clusterId() != null) {
        formedSeen.add(i.clusterId());
      }
    }
  }

  /**
   * Whether a probe from {@code from} at {@code now} would add a prober this node does not count
   * (never seen, or forgotten as silent); an anonymous probe ({@code null}) or this node's own
   * never does.
   */
  public boolean isNewProber(NodeName from, Instant now) {
    forgetSilentProbers(now);
    return from != null && !from.equals(self) && !probedBy.containsKey(from);
  }

  /** Records that {@code from}'s agent probed us at {@code now}, then answers it. */
  public NodeInfo probedBy(NodeName from, Instant now) {
    forgetSilentProbers(now);
    if (from != null && !from.equals(self)) {
      probedBy.put(from, now);
    }
    return info();
  }

  public void discovered(Collection<NodeName> nodes) {
    discovered = Set.copyOf(nodes);
  }

  /** Nodes to probe next: everything known except this node. */
  public Set<NodeName> probeTargets(Map<NodeName, NodeInfo> lastAnswers, Instant now) {
    forgetSilentProbers(now);
    Set<NodeName> targets = new TreeSet<>(discovered);
    targets.addAll(probedBy.keySet());
    lastAnswers.values().forEach(i -> targets.addAll(i.discovered()));
    targets.remove(self);
    return targets;
  }

  /**
   * Evaluates the contact-point rule on the current state at {@code now} and, when it says seed or
   * join, takes that decision ({@code newClusterId} names the cluster if this node seeds).
   */
  public Outcome decideLockless(
      Map<NodeName, NodeInfo> answers,
      Duration stableMargin,
      int targetSize,
      Instant now,
      String newClusterId) {
    forgetSilentProbers(now);
    learn(answers.values());
    Set<NodeName> probers = Set.copyOf(probedBy.keySet());
    Observation probe =
        new Observation(
            self, discovered, probers, answers, Duration.ZERO, stableMargin, targetSize);
    Set<NodeName> known = ContactPointRule.known(probe);
    if (!known.equals(lastKnown)) {
      lastKnown = Set.copyOf(known);
      knownChangedAt = now;
    }
    Observation o =
        new Observation(
            self,
            discovered,
            probers,
            answers,
            Duration.between(knownChangedAt, now),
            stableMargin,
            targetSize,
            knowsOf());
    Outcome outcome = ContactPointRule.decide(o);
    if (outcome instanceof Outcome.SeedSelf) {
      decideSeed(newClusterId);
    } else if (outcome instanceof Outcome.JoinOther join) {
      decideJoin(join);
    }
    return outcome;
  }

  public Decision decideSeed(String id) {
    decidedAt = declaredVersion();
    state = NodeState.FORMING;
    clusterId = id;
    members.clear();
    members.add(self);
    decision = new Decision.Seed(self, id);
    return decision;
  }

  public Decision decideJoin(Outcome.JoinOther join) {
    decidedAt = declaredVersion();
    state = NodeState.BOOTING;
    clusterId = null;
    decision = new Decision.Join(join.target(), join.peers(), join.clusterId());
    return decision;
  }

  /** Restores a recorded membership: the node rejoins its last-seen peers. */
  public Decision rejoin(Membership m) {
    state = NodeState.FORMED;
    rejoining = true;
    clusterId = m.clusterId();
    formedAt = m.formedAt();
    decidedAt = m.configVersion();
    members.clear();
    members.addAll(m.members());
    members.add(self);
    Set<NodeName> others = new TreeSet<>(m.members());
    others.remove(self);
    NodeName first = others.isEmpty() ? self : others.iterator().next();
    decision = new Decision.Rejoin(first, others.stream().toList(), m.clusterId());
    return decision;
  }

  /** The node reported completion at {@code now}: it is a member of the decided cluster. */
  public Membership complete(Set<NodeName> joinedMembers, Instant now) {
    if (decision == null) {
      throw new IllegalStateException("no decision has been taken yet");
    }
    rejoining = false; // a rejoined node that completes is back: peers see it formed
    if (state != NodeState.FORMED) {
      state = NodeState.FORMED;
      clusterId = decision.clusterId();
      formedAt = now;
      members.add(self);
      members.addAll(decision.peers());
      members.addAll(joinedMembers);
    }
    return membership();
  }

  /** Merges members reported by formed peers of the same cluster; true when something was new. */
  public boolean mergeMembers(Collection<NodeInfo> answers) {
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
  public Decision abort() {
    if (decision == null) {
      throw new IllegalStateException("no decision has been taken yet");
    }
    if (state == NodeState.FORMED) {
      throw new IllegalStateException("this node is a member of cluster " + clusterId);
    }
    Decision aborted = decision;
    decision = null;
    decidedAt = 0;
    state = NodeState.BOOTING;
    clusterId = null;
    members.clear();
    return aborted;
  }

  /**
   * Declarative mode: the node's data was reset (a held record's, or a formed node's under a gospel
   * {@code reset}): it is fresh again, a member of nothing and knowing of no cluster.
   */
  public void dataReset() {
    formedSeen.clear();
    if (state == NodeState.FORMED) {
      decision = null;
      state = NodeState.BOOTING;
      rejoining = false;
      clusterId = null;
      formedAt = null;
      members.clear();
      decidedAt = 0;
    }
  }

  /** The version of the declarative config in force, 0 outside declarative mode. */
  private long declaredVersion() {
    return declared == null ? 0 : declared.inForce().version();
  }

  /** Declarative mode: the config version its decision or recorded membership was taken at. */
  public long decidedAt() {
    return decidedAt;
  }

  public Membership membership() {
    return new Membership(self, clusterId, members, formedAt, decidedAt);
  }

  public Decision decision() {
    return decision;
  }

  public NodeState state() {
    return state;
  }

  /** It rejoined from its record and its node has not completed since the agent started. */
  public boolean rejoining() {
    return rejoining;
  }

  public Set<NodeName> probedByView() {
    return Set.copyOf(probedBy.keySet());
  }
}
