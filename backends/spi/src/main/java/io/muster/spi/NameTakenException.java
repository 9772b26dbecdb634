package io.muster.spi;

import java.time.Duration;

/**
 * Registration found the local node's name registered by another live agent instance (formation.md
 * step 2: names are unique). The registration was left alone. The core asks again until {@link
 * #ttl()} has passed since the first refusal (a replaced agent's registration lapses within it),
 * then stops the agent with exit status 2, naming both.
 */
public final class NameTakenException extends RuntimeException {

  private final Duration ttl;

  /**
   * @param message names the node and describes the other registration (its instance, when it
   *     registered); never a secret
   * @param ttl how long the other registration can outlive its agent
   */
  public NameTakenException(String message, Duration ttl) {
    super(message);
    this.ttl = ttl;
  }

  /** How long the other registration can outlive its agent: wait that long before giving up. */
  public Duration ttl() {
    return ttl;
  }
}
