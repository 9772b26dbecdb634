package io.muster.spi;

import java.time.Instant;

/** A cluster's formation marker, kept by lock backends beside the registrations. */
public sealed interface Marker {

  /** No cluster has been formed or started forming under this cluster name. */
  record None() implements Marker {}

  /** {@code seed} was told to seed and has not completed yet; lives with the seed's lease. */
  record Forming(NodeName seed, String clusterId) implements Marker {}

  /** The cluster formed; durable, so that nobody ever seeds this cluster name again. */
  record Formed(NodeName seed, String clusterId, Instant formedAt) implements Marker {}
}
