package io.muster.formation.core;

import io.muster.config.CoreSettings;
import io.muster.config.CoreSettings.OnExhausted;
import java.time.Duration;

/** The settings the formation core acts on (a slice of {@link CoreSettings}). */
public record CoreTuning(
    String backend,
    int retryLimit,
    Duration retryInterval,
    int targetClusterSize,
    Duration stableMargin,
    OnExhausted onExhausted,
    Duration pollInterval,
    Duration reassertInterval) {

  public static CoreTuning of(CoreSettings s) {
    return new CoreTuning(
        s.backend(),
        s.retryLimit(),
        s.retryInterval(),
        s.targetClusterSize(),
        s.stableMargin(),
        s.onExhausted(),
        s.pollInterval(),
        s.reassertInterval());
  }
}
