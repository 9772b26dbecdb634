package io.muster.formation.core;

import io.muster.formation.NodeInfo;
import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.Map;

/**
 * One immutable picture of the formation core, taken after every event, that {@code /v1/status}
 * renders whole (never field by field from a moving state).
 *
 * @param phase where the core is
 * @param waitingFor what it waits for (null once decided)
 * @param attemptsLeft attempts left before {@code muster.on_exhausted} applies
 * @param exhausted retries ran out
 * @param failure why formation failed for good, or null
 * @param lockState the formation lock as this agent last saw it (null before the first attempt and
 *     for lockless backends)
 * @param lastAnswers peers' answers from the latest probe round (lockless)
 * @param mode how this agent decides
 * @param markerState the cluster's marker as this formed agent last re-asserted it (lock backends;
 *     null before)
 * @param withdrawn why the node must stop acting on its decision and abort (formation.md invariant
 *     9), or null
 */
public record FormationStatus(
    Phase phase,
    String waitingFor,
    int attemptsLeft,
    boolean exhausted,
    String failure,
    String lockState,
    Map<NodeName, NodeInfo> lastAnswers,
    String mode,
    String markerState,
    String withdrawn,
    Instant answersAt) {

  public FormationStatus {
    lastAnswers = Map.copyOf(lastAnswers);
  }

  /** "no attempts left", "1 attempt left", "3 attempts left". */
  public static String attemptsLeft(int left) {
    return left <= 0 ? "no attempts left" : left == 1 ? "1 attempt left" : left + " attempts left";
  }

  /** "waiting for X", without doubling a reason that already says it waits. */
  public static String waitingFor(String what) {
    if (what == null) {
      return "waiting";
    }
    return what.startsWith("waiting for ") ? what : "waiting for " + what;
  }
}
