package io.muster.spi.support;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend's retry loop on Vert.x: it counts consecutive failures and runs the next attempt after
 * {@link Backoff#afterFailure} for that count (growing, jittered, so a fleet that failed together
 * does not retry together), on a Vert.x timer. One instance per loop; a success resets the count.
 * Safe to call from any thread.
 */
public final class Retry {

  private final Vertx vertx;
  private final Backoff backoff;
  private final AtomicInteger failures = new AtomicInteger();

  /** Retries starting at {@code base} (then doubling, capped at 8x). */
  public Retry(Vertx vertx, Duration base) {
    this(vertx, new Backoff(base));
  }

  public Retry(Vertx vertx, Backoff backoff) {
    this.vertx = vertx;
    this.backoff = backoff;
  }

  /** An attempt succeeded: the next failure waits the base delay again. */
  public void succeeded() {
    failures.set(0);
  }

  /** Consecutive failures so far. */
  public int failures() {
    return failures.get();
  }

  /**
   * One more failure: {@code next} runs after the backoff for it. Returns the failure's number (1
   * for the first of a run) and the delay chosen, for the caller's log line.
   */
  public Scheduled failed(Runnable next) {
    return after(failures.incrementAndGet(), next);
  }

  /**
   * The {@code failure}-th failure of a loop that counts its own attempts: {@code next} runs after
   * the backoff for it.
   */
  public Scheduled after(int failure, Runnable next) {
    Duration delay = backoff.afterFailure(failure);
    vertx.setTimer(Math.max(1, delay.toMillis()), id -> next.run());
    return new Scheduled(failure, delay);
  }

  /** What {@link #failed} scheduled. */
  public record Scheduled(int failure, Duration delay) {}
}
