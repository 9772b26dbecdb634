package io.muster.formation.engine;

import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.Outcome;
import io.muster.formation.core.NodeRecord;
import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;

/**
 * The local node's formation state ({@link NodeRecord}) as the agent's threads share it: the
 * formation driver, the peer port, the API. Every method holds this object's monitor, and the
 * driver feeds the formation core under the same monitor, so that recording a prober and deciding
 * to seed are atomic with respect to each other (else two nodes could each seed without having seen
 * the other).
 */
public final class LocalNode {

  private final Clock clock;
  private final NodeRecord record;

  public LocalNode(NodeName self, Clock clock) {
    this.clock = clock;
    this.record = new NodeRecord(self, clock.instant());
  }

  /** The record itself, for the formation driver; touch it only while holding this monitor. */
  NodeRecord record() {
    return record;
  }

  public NodeName self() {
    return record.self();
  }

  /** What the peer port answers. */
  public synchronized NodeInfo info() {
    return record.info();
  }

  /** Runs when an agent this one did not count as a prober probes it; set by the driver. */
  private volatile Runnable newProber = () -> {};

  /**
   * Records that {@code from}'s agent probed us, then answers it, atomically. A prober new to this
   * agent then wakes the formation loop ({@link #onNewProber}), so an agent that waits long between
   * probe rounds still hears of a peer that just came up at once.
   */
  public NodeInfo probedBy(NodeName from) {
    boolean fresh;
    NodeInfo answer;
    synchronized (this) {
      Instant now = clock.instant();
      fresh = record.isNewProber(from, now);
      answer = record.probedBy(from, now);
    }
    if (fresh) {
      newProber.run();
    }
    return answer;
  }

  /** What to run when a new prober shows up (outside this monitor). */
  public void onNewProber(Runnable wake) {
    this.newProber = wake;
  }

  public synchronized void discovered(Collection<NodeName> nodes) {
    record.discovered(nodes);
  }

  public synchronized Decision decideSeed(String id) {
    return record.decideSeed(id);
  }

  public synchronized Decision decideJoin(Outcome.JoinOther join) {
    return record.decideJoin(join);
  }

  /** Restores a recorded membership: the node rejoins its last-seen peers. */
  public synchronized Decision rejoin(Membership m) {
    return record.rejoin(m);
  }

  /** The node reported completion: this node is a member of the decided cluster. */
  public synchronized Membership complete(Set<NodeName> joinedMembers) {
    return record.complete(joinedMembers, clock.instant());
  }

  /** Merges members reported by formed peers of the same cluster; true when something was new. */
  public synchronized boolean mergeMembers(Collection<NodeInfo> answers) {
    return record.mergeMembers(answers);
  }

  /** The node aborted: forget the decision and decide again. */
  public synchronized Decision abort() {
    return record.abort();
  }

  public synchronized Membership membership() {
    return record.membership();
  }

  public synchronized Decision decision() {
    return record.decision();
  }

  /**
   * The node completed: it is a member, and (after a rejoin) it reported completion since the agent
   * started. Until then a rejoined node is told {@code rejoin} and peers see it rejoining.
   */
  public synchronized boolean completed() {
    return record.state() == NodeState.FORMED && !record.rejoining();
  }

  public synchronized NodeState state() {
    return record.state();
  }

  public synchronized Set<NodeName> probedByView() {
    return record.probedByView();
  }

  public Instant startedAt() {
    return record.startedAt();
  }
}
