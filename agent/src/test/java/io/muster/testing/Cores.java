package io.muster.testing;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.formation.core.Capabilities;
import io.muster.formation.core.CoreLog;
import io.muster.formation.core.CoreTuning;
import io.muster.formation.core.FormationCore;
import io.muster.formation.core.NodeRecord;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

/** Cores for event-by-event tests: fixed tunings, a fixed random seed, no log. */
public final class Cores {

  private Cores() {}

  /**
   * Retry limit 10, retry interval 500 ms, target size 1, stable margin 1 s, on_exhausted wait,
   * poll interval 30 s, reassert interval 2 s, probe timeout 2 s.
   */
  public static CoreTuning tuning(String backend) {
    return new CoreTuning(
        backend,
        10,
        Duration.ofMillis(500),
        1,
        Duration.ofSeconds(1),
        OnExhausted.WAIT,
        Duration.ofSeconds(30),
        Duration.ofSeconds(2),
        Duration.ofSeconds(2));
  }

  public static FormationCore core(
      String backend, Capabilities caps, NodeName self, Instant start) {
    return new FormationCore(
        tuning(backend), caps, new NodeRecord(self, start), new SplittableRandom(7), CoreLog.NONE);
  }
}
