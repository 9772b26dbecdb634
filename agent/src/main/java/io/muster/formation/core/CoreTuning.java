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
    Duration reassertInterval,
    Duration probeTimeout) {

  /**
   * The longest a probe round may take from its issue to its answers being used: a round older than
   * this (the agent was paused, its links slow) is discarded and asked again.
   */
  public Duration probeRoundBound() {
    return probeTimeout.multipliedBy(2);
  }

  /**
   * How long a silent prober is remembered: five rounds (retry interval plus probe time), and never
   * less than twice the round bound times the worst clock-rate error we allow for (25%), so that a
   * live prober's fresh round always finds itself still known.
   */
  public Duration proberExpiry() {
    Duration rounds = retryInterval.plus(probeTimeout).multipliedBy(5);
    Duration floor = probeRoundBound().multipliedBy(5).dividedBy(2);
    return rounds.compareTo(floor) >= 0 ? rounds : floor;
  }

  public static CoreTuning of(CoreSettings s) {
    return new CoreTuning(
        s.backend(),
        s.retryLimit(),
        s.retryInterval(),
        s.targetClusterSize(),
        s.stableMargin(),
        s.onExhausted(),
        s.pollInterval(),
        s.reassertInterval(),
        s.probeTimeout());
  }
}
