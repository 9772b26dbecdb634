package io.muster.testing;

import java.time.Duration;

/**
 * Test time bounds, scaled for slow machines: every Awaitility bound goes through {@link #scaled},
 * which multiplies it by {@code MUSTER_TEST_TIME_FACTOR} (environment, or the system property of
 * that name; 1 by default, at least 1). Bounds are ceilings, never waits: a fast machine is not
 * slowed down, a slow one gets the time it needs instead of a failure.
 */
public final class Timing {

  private Timing() {}

  /** The factor bounds are multiplied by. */
  public static double factor() {
    String raw =
        System.getProperty("MUSTER_TEST_TIME_FACTOR", System.getenv("MUSTER_TEST_TIME_FACTOR"));
    if (raw == null || raw.isBlank()) {
      return 1;
    }
    try {
      return Math.max(1, Double.parseDouble(raw.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "MUSTER_TEST_TIME_FACTOR must be a number >= 1, got \"" + raw + "\"", e);
    }
  }

  /** {@code bound} times {@link #factor}. */
  public static Duration scaled(Duration bound) {
    double f = factor();
    return f == 1 ? bound : Duration.ofMillis((long) Math.ceil(bound.toMillis() * f));
  }
}
