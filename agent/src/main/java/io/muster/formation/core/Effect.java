package io.muster.formation.core;

import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.PeerView;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.Set;

/**
 * What the formation core asks its driver to do. Operations ({@link Register}, {@link Discover},
 * lock and marker calls, {@link Probe}) are answered by exactly one {@link Event}; the others are
 * carried out and not answered.
 */
public sealed interface Effect {

  /** Register the node (lease/session and key); answered by Registered or RegisterFailed. */
  record Register() implements Effect {}

  /** Start following peer changes; each change is fed back as {@link Event.Wake}. */
  record WatchPeers() implements Effect {}

  /** Ask the backend for the peers once; answered by {@link Event.Discovered}. */
  record Discover() implements Effect {}

  /** Wait for the formation lock; answered by LockAcquired, LockNotAcquired or LockUnknown. */
  record AcquireLock() implements Effect {}

  /** Read the cluster's marker; answered by MarkerRead or StoreFailed. */
  record ReadMarker() implements Effect {}

  /** Write the forming marker under this agent's lease; answered by FormingWritten/StoreFailed. */
  record WriteForming(Marker.Forming marker) implements Effect {}

  /** Release the held lock; answered by {@link Event.LockReleased}. */
  record ReleaseLock() implements Effect {}

  /** Ask these peers' agents for their state; answered by {@link Event.Probed}. */
  record Probe(Set<NodeName> targets) implements Effect {}

  /** Publish the decision to the node (API, rendered files, exec supervisor). */
  record Publish(Decision decision) implements Effect {}

  /** The published decision no longer holds (the node aborted): the next one replaces it. */
  record Retract() implements Effect {}

  /**
   * Declarative mode: the node's data is another cluster's. Remove the membership record, and have
   * the node's data reset before it is started to act on the decision that follows ({@code why}).
   */
  record ResetNode(String why) implements Effect {}

  /**
   * Declarative mode, gospel {@code reset}: this formed node must be stopped and its data reset
   * (muster exec does it, then answers with {@link Event.FormedNodeReset}).
   */
  record ResetFormed(String why) implements Effect {}

  /** Publish the peer list. */
  record PublishPeers(PeerView.Snapshot view) implements Effect {}

  /**
   * Record the membership in the data dir; with {@code reply} non-zero, answer that request with
   * {@code membership} once written (a failed write fails the request).
   */
  record WriteMembership(Membership membership, long reply) implements Effect {}

  /** Replace the marker with a durable formed one; answered by FormedWritten/FormedWriteFailed. */
  record WriteFormed(Marker.Formed marker, long request) implements Effect {}

  /** Remove this agent's forming marker; answered by {@link Event.FormingCleared}. */
  record ClearForming(long request) implements Effect {}

  /**
   * Writes {@code marker} if the store has no marker for the cluster (put-if-absent, no lease) and
   * reads back what is there: a formed agent re-asserting the truth after a wipe or restore
   * (formation.md step 5). Answered by {@link Event.FormedReasserted} or {@link
   * Event.ReassertFailed}.
   */
  record ReassertFormed(Marker.Formed marker) implements Effect {}

  /**
   * A seed whose node has not completed proves its claim (formation.md invariant 9): renew the
   * lease/session it is bound to, read the marker back. Answered by {@link Event.ClaimChecked} or
   * {@link Event.ClaimCheckFailed}.
   */
  record ConfirmClaim(Marker.Forming claim) implements Effect {}

  /**
   * The node must stop acting on its decision (a seed whose claim cannot be proven, a joiner whose
   * cluster is not the store's): {@code muster exec} stops the node and resets its fresh data, the
   * sidecar fails readiness and answers {@code abort}; the node acknowledges with an abort request,
   * and the agent then decides again.
   */
  record Withdraw(String reason) implements Effect {}

  /** Read the marker to verify a joiner's completion; answered by {@link Event.JoinChecked}. */
  record VerifyJoin(long request) implements Effect {}

  /** Answer a request with its result (a Membership for complete, a Decision for abort). */
  record Reply(long request, Object value) implements Effect {}

  /** Refuse a request: it does not fit the current state (HTTP 409). */
  record Refuse(long request, String reason) implements Effect {}

  /** Fail a request: the backend failed while carrying it out (HTTP 502). */
  record ReplyFailed(long request, String error) implements Effect {}

  /** Feed {@link Event.TimerFired} with this id after {@code delay}. */
  record ArmTimer(long timer, Duration delay) implements Effect {}

  /** Formation failed for good: fail every waiter on the decision. */
  record Fail(String error) implements Effect {}

  /**
   * The agent cannot run as configured (another live agent holds the node's name): stop it with
   * exit status 2, saying {@code reason}. Follows a {@link Fail}.
   */
  record Exit(String reason) implements Effect {}

  /** Stop following peer changes. */
  record CloseWatch() implements Effect {}

  /** Mark the registration as a member of this cluster (not answered; the backend retries). */
  record MarkMember(String clusterId) implements Effect {}

  /** Remove the registration (on stop). */
  record Unregister() implements Effect {}
}
