package io.muster.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Capability of backends that can hold a formation lock and a per-cluster marker (etcd, Consul).
 * The lock guards the formation decision only, never the node's boot. A failed future from {@link
 * #acquire()} means "unknown": the lock may or may not be held.
 */
public interface FormationLock {

  /** Waits (at most the backend's configured lock timeout) for the lock. */
  CompletionStage<LockOutcome> acquire();

  /** Reads this cluster's marker. */
  CompletionStage<Marker> readMarker();

  /**
   * Writes a {@code forming} marker bound to this agent's lease/session, so it dies with it: where
   * the cluster has no marker, or over this agent's own earlier {@code forming} marker, one bound
   * to the lease/session this agent holds now (an abort or a withdrawal could not clear it, or a
   * restored store brought it back; the new one carries a new cluster id). Never over anyone
   * else's.
   */
  CompletionStage<Void> markForming(Marker.Forming marker);

  /** Replaces the marker with a durable {@code formed} marker (no lease). */
  CompletionStage<Void> markFormed(Marker.Formed marker);

  /**
   * Writes {@code marker} (no lease) where the cluster has no marker, or has a {@code forming}
   * marker (of the same cluster id: stale, that cluster formed; of another: restored from a backup,
   * or a seed beside the formed cluster, which then cannot confirm its claim and withdraws), then
   * answers the marker in place. A formed member re-asserting the truth after the store lost it.
   * Never overwrites a {@code formed} marker; every write is conditional on what was read.
   */
  CompletionStage<Marker> reassertFormed(Marker.Formed marker);

  /**
   * Proves this agent's {@code forming} claim for fencing (formation.md invariant 9): renews the
   * lease/session the claim is bound to once, then reads the marker. The answer says what the store
   * holds, whether it is still this agent's own claim, unbroken since {@link #markForming} wrote it
   * (never deleted and written again: after a gap another agent could have seeded) and bound to the
   * renewed lease/session, and the TTL that renewal granted. The claim then lives at least that
   * long from the moment this call was made.
   */
  CompletionStage<ClaimState> confirmClaim(Marker.Forming claim);

  /** Removes this agent's {@code forming} marker (the seed's node aborted). */
  CompletionStage<Void> clearForming();

  /**
   * Retires cluster {@code clusterId} (formation.md invariant 10: the audited way to let a new
   * cluster form once every member's data is lost). Call it holding the lock. In one conditional
   * write it removes the marker when that marker is this cluster's {@code formed} one, and records
   * {@code audit} (JSON: who, when, why) as the cluster's retirement; from then on re-assertion of
   * that cluster is refused, so a member that was wrongly taken for lost cannot put it back. A
   * marker already gone is recorded too.
   *
   * @return the marker it removed ({@link Marker.None} when there was none)
   * @throws IllegalStateException (as the stage's failure) when the marker is another cluster's, or
   *     this cluster's still forming, or changed meanwhile
   */
  default CompletionStage<Marker> retire(String clusterId, String audit) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException("this backend cannot retire a cluster"));
  }

  /** Held lock; release it as soon as the decision is taken. */
  interface Held {
    CompletionStage<Void> release();
  }

  /**
   * The answer of {@link #confirmClaim}.
   *
   * @param current the marker in the store now
   * @param held true when {@code current} is this agent's own claim, unbroken since it was written
   *     and bound to the lease/session just renewed
   * @param ttl the time to live the renewal granted (zero when the lease/session is gone)
   */
  record ClaimState(Marker current, boolean held, Duration ttl) {}

  /** Acquired or not; "unknown" is a failed future. */
  sealed interface LockOutcome {
    record Acquired(Held lock) implements LockOutcome {}

    record NotAcquired(String reason) implements LockOutcome {}
  }
}
