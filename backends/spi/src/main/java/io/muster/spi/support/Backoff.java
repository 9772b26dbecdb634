package io.muster.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The one place retry delays are computed. Failures of a backend back off exponentially (doubling,
 * capped at 8x the base) with "equal jitter" (half fixed, half random), so a fleet that failed
 * together does not retry together. Waiting for peers uses the base interval with +-20% jitter.
 */
public final class Backoff {

  private static final int MAX_DOUBLINGS = 3;

  /** Draws from the calling thread's own source, whichever thread calls. */
  public static final RandomGenerator THREAD_LOCAL = () -> ThreadLocalRandom.current().nextLong();

  private final Duration base;
  private final RandomGenerator random;

  public Backoff(Duration base) {
    this(base, THREAD_LOCAL);
  }

  /**
   * Every delay is drawn from {@code random}: the formation core's driver hands it one source
   * (seeded in the simulator), so the core never reaches for ambient randomness of its own.
   */
  public Backoff(Duration base, RandomGenerator random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("base must be positive");
    }
    this.base = base;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Delay after the {@code failures}-th consecutive failure (1-based). */
  public Duration afterFailure(int failures) {
    int doublings = Math.max(0, Math.min(failures - 1, MAX_DOUBLINGS));
    long ceiling = base.toMillis() << doublings;
    long half = ceiling / 2;
    return Duration.ofMillis(half + random.nextLong(half + 1));
  }

  /** The base interval with +-20% jitter, for polling and waiting for peers. */
  public Duration jittered() {
    return jitter(base, random);
  }

  /** Any interval with +-20% jitter, drawn from this backoff's random source. */
  public Duration jittered(Duration interval) {
    return jitter(interval, random);
  }

  /** Any interval with +-20% jitter. */
  public static Duration jitter(Duration interval) {
    return jitter(interval, THREAD_LOCAL);
  }

  private static Duration jitter(Duration interval, RandomGenerator random) {
    long ms = interval.toMillis();
    long spread = ms / 5;
    return Duration.ofMillis(ms - spread + random.nextLong(2 * spread + 1));
  }
}
