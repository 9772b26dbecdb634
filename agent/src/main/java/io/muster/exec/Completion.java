package io.muster.exec;

import io.muster.agent.Agent;
import io.muster.retry.Backoff;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completing formation once the node is ready, retried with backoff while the backend fails. */
final class Completion {

  private static final Logger LOG = LoggerFactory.getLogger(Completion.class);

  private Completion() {}

  /**
   * Completes formation (a lock backend's seed writes its durable {@code formed} marker), retrying
   * with jittered backoff from {@code interval}. False when {@code keepTrying} turned false first,
   * or the decision was withdrawn (formation.md invariant 9: the node must stop, not complete).
   */
  static boolean complete(Agent agent, Duration interval, BooleanSupplier keepTrying)
      throws InterruptedException {
    Backoff backoff = new Backoff(interval);
    for (int failures = 1;
        keepTrying.getAsBoolean() && agent.engine().withdrawn() == null;
        failures++) {
      try {
        // the node's own members list, when it gives one, is the joiner's evidence
        agent.engine().complete(agent.nodeMembers());
        return true;
      } catch (RuntimeException e) {
        Duration delay = backoff.afterFailure(failures);
        LOG.warn(
            "Completing formation failed: {}; retrying in {} ms (until it succeeds or the node"
                + " stops)",
            e.getMessage(),
            delay.toMillis());
        Thread.sleep(delay.toMillis());
      }
    }
    return false;
  }
}
