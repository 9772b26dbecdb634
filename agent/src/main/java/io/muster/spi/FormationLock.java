package io.muster.spi;

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

  /** Writes a {@code forming} marker bound to this agent's lease/session, so it dies with it. */
  CompletionStage<Void> markForming(Marker.Forming marker);

  /** Replaces the marker with a durable {@code formed} marker (no lease). */
  CompletionStage<Void> markFormed(Marker.Formed marker);

  /**
   * Writes {@code marker} (no lease) where the cluster has no marker, or has a {@code forming}
   * marker of the same cluster id (stale: that cluster formed, e.g. one restored from a backup
   * taken while it formed), then answers the marker in place. A formed member re-asserting the
   * truth after the store lost it. Never overwrites a {@code formed} marker or another cluster's
   * {@code forming}; every write is conditional on what was read.
   */
  CompletionStage<Marker> reassertFormed(Marker.Formed marker);

  /** Removes this agent's {@code forming} marker (the seed's node aborted). */
  CompletionStage<Void> clearForming();

  /** Held lock; release it as soon as the decision is taken. */
  interface Held {
    CompletionStage<Void> release();
  }

  /** Acquired or not; "unknown" is a failed future. */
  sealed interface LockOutcome {
    record Acquired(Held lock) implements LockOutcome {}

    record NotAcquired(String reason) implements LockOutcome {}
  }
}
