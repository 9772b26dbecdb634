package io.muster.formation.core;

import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the formation core is told: the start, the answer to each effect it asked for, a timer, a
 * wake-up (watch event), the node's requests (complete, abort) and the stop. The driver feeds them
 * one at a time, with the time at which they happened.
 */
public sealed interface Event {

  /** The agent starts; {@code record} is the membership recorded in the data dir, if any. */
  record Start(Optional<Membership> record) implements Event {}

  /** {@link Effect.Register} succeeded; {@code description} is secret-free. */
  record Registered(String description) implements Event {}

  /** {@link Effect.Register} failed or timed out. */
  record RegisterFailed(String error) implements Event {}

  /**
   * {@link Effect.Register} found the node's name registered by another live agent instance ({@code
   * holder} describes it); that registration can outlive its agent by {@code ttl}.
   */
  record NameTaken(String holder, Duration ttl) implements Event {}

  /** The answer to {@link Effect.Discover} (a time-out or exception is a failure). */
  record Discovered(DiscoveryResult result) implements Event {}

  /** {@link Effect.AcquireLock}: the lock is held by this agent. */
  record LockAcquired() implements Event {}

  /** {@link Effect.AcquireLock}: not acquired (e.g. the backend's lock timeout ran out). */
  record LockNotAcquired(String reason) implements Event {}

  /** {@link Effect.AcquireLock}: the lock state is unknown (a failed call). */
  record LockUnknown(String error) implements Event {}

  /** The answer to {@link Effect.ReadMarker}. */
  record MarkerRead(Marker marker) implements Event {}

  /** {@link Effect.WriteForming} succeeded. */
  record FormingWritten() implements Event {}

  /** {@link Effect.ReadMarker} or {@link Effect.WriteForming} failed. */
  record StoreFailed(String error) implements Event {}

  /** {@link Effect.ReleaseLock} ended; {@code error} when the release failed. */
  record LockReleased(Optional<String> error) implements Event {}

  /** The answer to {@link Effect.Probe}: the peers that answered usefully. */
  record Probed(Map<NodeName, NodeInfo> answers) implements Event {}

  /** The timer armed by {@link Effect.ArmTimer} with this id ran out. */
  record TimerFired(long timer) implements Event {}

  /** Something changed (a watch event): cut the current pause short. */
  record Wake() implements Event {}

  /**
   * The node reports it started (seed) or joined; {@code members} is its evidence, the cluster
   * members the node itself reports (empty: the node asserts completion without a list).
   */
  record CompleteRequested(long request, Optional<Set<NodeName>> members) implements Event {
    public CompleteRequested(long request) {
      this(request, Optional.empty());
    }
  }

  /** {@link Effect.WriteFormed} for {@code request} succeeded. */
  record FormedWritten(long request) implements Event {}

  /** {@link Effect.WriteFormed} for {@code request} failed. */
  record FormedWriteFailed(long request, String error) implements Event {}

  /**
   * The answer to {@link Effect.ReassertFormed}: the marker in place after the conditional write
   * (this agent's, or whatever was already there).
   */
  record FormedReasserted(Marker current) implements Event {}

  /** {@link Effect.ReassertFormed} failed or timed out. */
  record ReassertFailed(String error) implements Event {}

  /** The answer to {@link Effect.ConfirmClaim}. */
  record ClaimChecked(FormationLock.ClaimState state) implements Event {}

  /** {@link Effect.ConfirmClaim} failed or timed out: the claim is not proven this round. */
  record ClaimCheckFailed(String error) implements Event {}

  /** The answer to {@link Effect.VerifyJoin}: the marker now, or the error reading it. */
  record JoinChecked(long request, Optional<Marker> marker, String error) implements Event {}

  /** The node could not act on its decision. */
  record AbortRequested(long request) implements Event {}

  /**
   * Declarative mode, after {@link Effect.ResetFormed}: the node was stopped, its data reset and
   * its membership record removed; the agent decides again as a fresh node. Answered by a reply.
   */
  record FormedNodeReset(long request) implements Event {}

  /** {@link Effect.ClearForming} for {@code request} ended; {@code error} when it failed. */
  record FormingCleared(long request, Optional<String> error) implements Event {}

  /** The driver could not carry out an effect that formation depends on. */
  record Crashed(String error) implements Event {}

  /** The agent stops. */
  record Stop() implements Event {}
}
