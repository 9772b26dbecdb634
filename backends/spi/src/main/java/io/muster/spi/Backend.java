package io.muster.spi;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A peer discovery backend. Discovery is the only required operation; registration and locking are
 * separate capabilities ({@link Registration}, {@link FormationLock}) that a backend may also
 * implement. A backend without {@link FormationLock} is lockless and forms clusters through the
 * contact-point rule.
 */
public interface Backend extends AutoCloseable {

  /**
   * Asks the backend for the current peers. Must not block the caller; must complete, normally with
   * a {@link DiscoveryResult.Failure}, within {@code timeout}.
   */
  CompletionStage<DiscoveryResult> discover(Duration timeout);

  /** Releases clients and threads. Registrations are removed by {@link Registration} first. */
  @Override
  default void close() {}
}
