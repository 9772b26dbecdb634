package io.muster.declarative;

import io.muster.declarative.ClusterSpec.Comparison;
import io.muster.spi.NodeName;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The declarative spec in force on one agent, and the rules for replacing it: whatever offers a
 * spec (the config at start, {@code PUT /v1/cluster-config}, {@code muster apply}, a peer agent
 * spreading a younger one) goes through {@link #offer}. The youngest version wins; an older one is
 * ignored (its sender is behind); the same version with other content is refused loudly and changes
 * nothing (the Clusterer's rule); a step that drops more than one node is refused. An adopted spec
 * is stored in the data dir before it is in force, so a restart goes on with it.
 */
public final class SpecHolder {

  private static final Logger LOG = LoggerFactory.getLogger(SpecHolder.class);

  /** What an offer did. */
  public enum Outcome {
    /** Younger (or the first): now in force. */
    ADOPTED,
    /** The same version and content: nothing to do. */
    SAME,
    /** Older: ignored; the sender should be given the one in force. */
    OLDER,
    /** Refused: the same version with other content, or a step dropping several nodes. */
    REFUSED
  }

  /** An offer's outcome, the spec in force after it, and why (for refusals and logs). */
  public record Result(
      Outcome outcome, ClusterSpec inForce, String why, Optional<NodeName> forget) {}

  private final NodeName self;
  private final SpecStore store;

  /** Read without the lock (an adoption's fsync must not stall readers), written under it. */
  private volatile ClusterSpec inForce;

  /**
   * @throws IllegalStateException when the stored spec cannot be read (see {@link SpecStore#load})
   */
  public SpecHolder(NodeName self, SpecStore store) {
    this.self = self;
    this.store = store;
    this.inForce = store.load().orElse(null);
  }

  /** The spec in force; empty until one was offered or stored. */
  public Optional<ClusterSpec> inForce() {
    return Optional.ofNullable(inForce);
  }

  /**
   * Offers {@code spec}, from {@code from} (for the log: "the config file", "PUT
   * /v1/cluster-config", "rabbit@b's agent").
   *
   * @throws java.io.UncheckedIOException when an adopted spec cannot be stored (it is then not in
   *     force)
   */
  public Result offer(ClusterSpec spec, String from) {
    return offer(spec, from, true);
  }

  /**
   * Offers {@code spec} as {@link #offer} does, but without the one-node-per-step rule: for the
   * config file at start and for configs spread by peers, which forget nobody here (an agent that
   * missed a version must still catch up with a later one).
   */
  public Result adopt(ClusterSpec spec, String from) {
    return offer(spec, from, false);
  }

  private synchronized Result offer(ClusterSpec spec, String from, boolean oneDropPerStep) {
    if (inForce == null) {
      store.store(spec);
      inForce = spec;
      LOG.info("Cluster config {} from {} is in force", spec.describe(), from);
      return new Result(Outcome.ADOPTED, spec, "the first config", Optional.empty());
    }
    Comparison c = inForce.compare(spec);
    switch (c) {
      case SAME -> {
        return new Result(Outcome.SAME, inForce, "already in force", Optional.empty());
      }
      case OLDER -> {
        return new Result(
            Outcome.OLDER,
            inForce,
            "version "
                + spec.version()
                + " is older than version "
                + inForce.version()
                + " in force",
            Optional.empty());
      }
      case CONFLICT -> {
        String why =
            "version "
                + spec.version()
                + " from "
                + from
                + " differs from version "
                + inForce.version()
                + " in force ("
                + inForce.describe()
                + " against "
                + spec.describe()
                + "); equal versions must be equal configs: give the new one a higher version";
        LOG.error("Refused a cluster config: {}; nothing changed", why);
        return new Result(Outcome.REFUSED, inForce, why, Optional.empty());
      }
      default -> {
        // YOUNGER
      }
    }
    Optional<String> refused =
        oneDropPerStep ? DeclarativeRules.refusedStep(inForce, spec) : Optional.empty();
    if (refused.isPresent()) {
      LOG.error("Refused cluster config {} from {}: {}", spec.version(), from, refused.get());
      return new Result(Outcome.REFUSED, inForce, refused.get(), Optional.empty());
    }
    Optional<NodeName> forget = DeclarativeRules.toForget(self, inForce, spec);
    store.store(spec);
    ClusterSpec was = inForce;
    inForce = spec;
    LOG.info(
        "Cluster config {} from {} replaces version {}{}",
        spec.describe(),
        from,
        was.version(),
        forget.map(n -> "; " + n + " is dropped and will be forgotten").orElse(""));
    return new Result(Outcome.ADOPTED, spec, "younger than version " + was.version(), forget);
  }
}
