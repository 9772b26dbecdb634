package io.muster.formation.core;

import java.util.UUID;
import java.util.random.RandomGenerator;

/** New cluster ids: random (version 4) UUIDs, drawn from a given source in the core. */
public final class ClusterIds {

  private ClusterIds() {}

  /** A new id from {@code random} (the simulator's seeded source makes it replayable). */
  public static String next(RandomGenerator random) {
    long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }
}
