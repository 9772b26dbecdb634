package io.muster.spi;

import java.util.Optional;

/**
 * Capability of backends that know the seed without asking anyone, e.g. the Kubernetes StatefulSet
 * ordinal rule (pod {@code <sts>-0} seeds). When {@link #fixedSeed()} is present, the core decides
 * at once: seed if it is the local node, else join it; no discovery or contact points are needed
 * for the decision.
 */
public interface FixedSeed {

  /** The node that seeds this cluster, when the backend's configuration fixes it. */
  Optional<NodeName> fixedSeed();
}
