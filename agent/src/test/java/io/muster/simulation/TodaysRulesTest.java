package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * formation.md v2's fault classes against today's rules: the simulator must find the violations
 * that reading the code found (issue 18 fixes them; each then moves into {@link SimulationTest}'s
 * CI run and this expectation flips). Each failure is printed shrunk, with its replay command.
 */
class TodaysRulesTest {

  /** How many schedules of one fault class may pass before the violation must have shown up. */
  static final long BOUND = 2_000;

  @ParameterizedTest
  @EnumSource(
      value = Fault.Kind.class,
      names = {"DATA_LOSS"})
  void v2FaultClassBreaksAnInvariantOnTodaysRules(Fault.Kind kind) {
    Explorer.Totals t =
        Explorer.search(
            kind.ordinal() * 1_000_000L,
            BOUND,
            EnumSet.of(kind),
            Scenario.Mutation.NONE,
            null,
            true);
    Explorer.Outcome failed = t.firstFailure.get();
    assertThat(failed).as("%s found no violation in %d schedules", kind, BOUND).isNotNull();
    System.out.println(
        "[v2 finding] "
            + kind
            + " after "
            + t.schedules.get()
            + " schedules:\n"
            + Explorer.report(failed.scenario(), 25));
  }

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
      Explorer.Totals t = Explorer.search(1, BOUND, Scenario.TODAY, m, lock, true);
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
