package io.muster.spi;

import java.util.List;
import java.util.Optional;

/**
 * Capability of backends that know the seed without asking anyone, e.g. the Kubernetes StatefulSet
 * ordinal rule (pod {@code <sts>-0} seeds). When {@link #fixedSeed()} is present, the core decides
 * without discovery: join the seed; or, on the seed itself, seed unless one of {@link #seedPeers()}
 * answers that it is formed (or rejoining).
 */
public interface FixedSeed {

  /** The node that seeds this cluster, when the backend's configuration fixes it. */
  Optional<NodeName> fixedSeed();

  /**
   * The other nodes the rule names (a StatefulSet's other pods), whose agents the seed asks before
   * it seeds (formation.md step 5): any formed one means its volume is new and it joins their
   * cluster instead. Empty: the seed asks nobody.
   */
  default List<NodeName> seedPeers() {
    return List.of();
  }
}
