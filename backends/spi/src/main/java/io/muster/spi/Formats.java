package io.muster.spi;

import io.vertx.core.json.JsonObject;

/**
 * The format version every wire and stored format carries (formation.md: peer answers, markers,
 * registrations, the membership record): {@code "format": 1}. A value without one was written by
 * the release before formats were versioned (format 0) and reads the same. Formats only ever gain
 * fields between adjacent releases, and readers ignore fields they do not know, so agents of
 * adjacent releases read each other; a change an older reader could not read needs a format number
 * it refuses, and a release in between that reads it.
 */
public final class Formats {

  /** The field that carries the version. */
  public static final String FIELD = "format";

  /** The version this release writes. */
  public static final int CURRENT = 1;

  /** The oldest version this release reads (0: written before formats were versioned). */
  public static final int OLDEST_READ = 0;

  private Formats() {}

  /** Adds the current version to {@code o}; returns it. */
  public static JsonObject stamp(JsonObject o) {
    return o.put(FIELD, CURRENT);
  }

  /**
   * The version {@code o} was written in (0 when it carries none).
   *
   * @throws IllegalArgumentException when the version is not a whole number, or older than this
   *     release reads
   */
  public static int of(JsonObject o) {
    Object v = o.getValue(FIELD);
    if (v == null) {
      return 0;
    }
    if (!(v instanceof Integer || v instanceof Long)) {
      throw new IllegalArgumentException(FIELD + " is not a whole number: " + v);
    }
    long n = ((Number) v).longValue();
    if (n < OLDEST_READ || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(FIELD + " " + n + " is not one this release reads");
    }
    return (int) n;
  }
}
