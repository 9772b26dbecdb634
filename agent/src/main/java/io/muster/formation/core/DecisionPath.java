package io.muster.formation.core;

/**
 * One way of taking the first decision (formation.md, step 5): each attempt starts with {@link
 * #begin} and goes on with the answers to the operations it asked for, until it publishes a
 * decision or pauses the core for the next attempt.
 */
sealed interface DecisionPath permits FixedSeedPath, LockPath, ContactPointPath, DeclarativePath {

  /** Starts one attempt. */
  void begin(FormationCore core);

  /** The answer to this path's operation in flight. */
  void on(FormationCore core, Event answer);

  /** A decision was published: the next attempt (after an abort) starts afresh. */
  default void reset() {}

  /** The formation lock as this agent last saw it, for status; null when there is none. */
  default String lockState() {
    return null;
  }
}
