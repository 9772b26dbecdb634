package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The checker's power: each deliberately broken variant of the rules must be caught within a bound
 * of schedules. (formation.md v2's fault classes were first proven here against the rules before
 * issue 18; every one of them now runs in {@link SimulationTest}'s CI run, and the schedules that
 * broke the old rules are kept in {@link RegressionSchedulesTest}.) Each failure is printed shrunk.
 */
class TodaysRulesTest {

  /** How many schedules of one fault class may pass before the violation must have shown up. */
  static final long BOUND = 2_000;

  @Test
  void checkerCatchesEveryBrokenVariant() {
    for (Scenario.Mutation m : Scenario.Mutation.values()) {
      if (m == Scenario.Mutation.NONE) {
        continue;
      }
      boolean lock =
          m == Scenario.Mutation.SKIP_MARKER_READ
              || m == Scenario.Mutation.NO_EXCLUSION
              || m == Scenario.Mutation.NO_FORMING_MARKER;
      Explorer.Totals t =
          m.declarative()
              ? Explorer.searchDeclarative(1, BOUND, Scenario.DECLARATIVE, m, new Explorer.Totals())
              : Explorer.search(1, BOUND, Scenario.TODAY, m, lock, true);
      Explorer.Outcome failed = t.firstFailure.get();
      assertThat(failed).as("broken variant %s not caught in %d schedules", m, BOUND).isNotNull();
      System.out.println(
          "[checker power] "
              + m
              + " caught within "
              + t.schedules.get()
              + " schedules: "
              + failed.violation());
    }
  }
}
