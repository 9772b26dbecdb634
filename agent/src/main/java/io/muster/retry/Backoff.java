package io.muster.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one place retry delays are computed. Failures of a backend back off exponentially (doubling,
 * capped at 8x the base) with "equal jitter" (half fixed, half random), so a fleet that failed
 * together does not retry together. Waiting for peers uses the base interval with +-20% jitter.
 */
public final class Backoff {

  private static final int MAX_DOUBLINGS = 3;

  private final Duration base;

  public Backoff(Duration base) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("base must be positive");
    }
    this.base = base;
  }

  /** Delay after the {@code failures}-th consecutive failure (1-based). */
  public Duration afterFailure(int failures) {
    int doublings = Math.max(0, Math.min(failures - 1, MAX_DOUBLINGS));
    long ceiling = base.toMillis() << doublings;
    long half = ceiling / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
  }

  /** The base interval with +-20% jitter, for polling and waiting for peers. */
  public Duration jittered() {
    return jitter(base);
  }

  /** Any interval with +-20% jitter. */
  public static Duration jitter(Duration interval) {
    long ms = interval.toMillis();
    long spread = ms / 5;
    return Duration.ofMillis(ms - spread + ThreadLocalRandom.current().nextLong(2 * spread + 1));
  }
}
