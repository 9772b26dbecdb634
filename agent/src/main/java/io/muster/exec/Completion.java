package io.muster.exec;

import io.muster.spi.support.Backoff;
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
   * with jittered backoff from {@code interval} for at most {@code bound}. False when {@code
   * keepTrying} turned false first, the bound ran out (logged), or the decision was withdrawn
   * (formation.md invariant 9: the node must stop, not complete).
   */
  static boolean complete(
      RunningAgent agent, Duration interval, BooleanSupplier keepTrying, Duration bound)
      throws InterruptedException {
    Backoff backoff = new Backoff(interval);
    long deadline = System.nanoTime() + bound.toNanos();
    for (int failures = 1;
        keepTrying.getAsBoolean() && agent.engine().withdrawn() == null;
        failures++) {
      try {
        // the node's own members list, when it gives one, is the joiner's evidence
        agent.engine().complete(agent.nodeMembers());
        return true;
      } catch (RuntimeException e) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          LOG.error(
              "Completing formation failed for {} s (muster.exec.ready.timeout): {}; giving up on"
                  + " this attempt",
              bound.toSeconds(),
              e.getMessage());
          return false;
        }
        Duration delay = backoff.afterFailure(failures);
        LOG.warn(
            "Completing formation failed: {}; retrying in {} ms ({} ms left of"
                + " muster.exec.ready.timeout)",
            e.getMessage(),
            Math.min(delay.toMillis(), left),
            left);
        Thread.sleep(Math.min(delay.toMillis(), left));
      }
    }
    return false;
  }
}
