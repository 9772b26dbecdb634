package io.muster.formation.core;

import io.muster.declarative.ClustererBackend;
import io.muster.declarative.DeclaredConfig;
import io.muster.spi.Backend;
import io.muster.spi.FixedSeed;
import io.muster.spi.FormationLock;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import java.util.List;
import java.util.Optional;

/**
 * What the chosen backend can do, looked up once: how the agent decides, whether it registers and
 * whether it can push peer changes.
 *
 * @param mode how the agent decides
 * @param registers the backend keeps a registration for this node
 * @param watches the backend pushes peer changes
 * @param fixedSeed the seed the backend's rule names (with {@link Mode#FIXED_SEED})
 * @param seedPeers the other nodes the rule names, whose agents the seed asks first
 * @param declarative the declarative backend (with {@link Mode#DECLARATIVE}): its config in force
 */
public record Capabilities(
    Mode mode,
    boolean registers,
    boolean watches,
    Optional<NodeName> fixedSeed,
    List<NodeName> seedPeers,
    Optional<DeclaredConfig> declarative) {

  public Capabilities(
      Mode mode,
      boolean registers,
      boolean watches,
      Optional<NodeName> fixedSeed,
      List<NodeName> seedPeers) {
    this(mode, registers, watches, fixedSeed, seedPeers, Optional.empty());
  }

  public Capabilities(Mode mode, boolean registers, boolean watches, Optional<NodeName> fixedSeed) {
    this(mode, registers, watches, fixedSeed, List.of());
  }

  /** Agents of this node ask peers' agents, so every agent serves the peer port. */
  public boolean asksPeers() {
    return mode == Mode.CONTACT_POINTS || mode == Mode.DECLARATIVE || !seedPeers.isEmpty();
  }

  /** The three ways of deciding (formation.md, step 5). */
  public enum Mode {
    /** The backend names the seed (the StatefulSet ordinal rule). */
    FIXED_SEED,
    /** Under the backend's formation lock, from the cluster's marker. */
    LOCK,
    /** Lockless: by asking peers' agents (contact points). */
    CONTACT_POINTS,
    /** By the rules of a versioned cluster config (the Clusterer's model), asking peers' agents. */
    DECLARATIVE
  }

  /** The one place a backend's optional capabilities are looked up. */
  public static Capabilities of(Backend backend) {
    Optional<NodeName> seed =
        backend instanceof FixedSeed f ? f.fixedSeed() : Optional.<NodeName>empty();
    if (backend instanceof ClustererBackend c) {
      return new Capabilities(
          Mode.DECLARATIVE, false, false, Optional.empty(), List.of(), Optional.of(c));
    }
    Mode mode =
        seed.isPresent()
            ? Mode.FIXED_SEED
            : backend instanceof FormationLock ? Mode.LOCK : Mode.CONTACT_POINTS;
    return new Capabilities(
        mode,
        backend instanceof Registration,
        backend instanceof PeerWatch,
        seed,
        backend instanceof FixedSeed f && seed.isPresent() ? f.seedPeers() : List.of(),
        Optional.empty());
  }

  /** How this agent decides, for {@code /v1/status}. */
  public String describeMode() {
    return switch (mode) {
      case FIXED_SEED -> "fixed seed (backend rule)";
      case CONTACT_POINTS -> "contact points (lockless)";
      case LOCK -> "formation lock";
      case DECLARATIVE -> "declarative (cluster config, the Clusterer's rules)";
    };
  }
}
