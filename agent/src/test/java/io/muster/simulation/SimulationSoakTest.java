package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The simulator for a time budget rather than a count: {@code mvn -pl agent -Psimulate test} (or
 * {@code bench/run simulate}) runs random schedules for {@code -Dmuster.sim.budget} (default 20
 * minutes), a minute's progress at a time, then prints schedules/s, steps/s, the faults injected by
 * kind and the deepest schedule with its replay command. Skipped in the normal build.
 *
 * <p>{@code -Dmuster.sim.seed=N} fixes the first seed (default: from the clock, printed, so any run
 * can be repeated); {@code -Dmuster.sim.classes=all} adds formation.md v2's fault classes, which
 * today's rules do not survive (issue 18). {@code -Dmuster.sim.model=declarative} runs declarative
 * mode's schedules instead of lock and lockless ones.
 */
class SimulationSoakTest {

  private static final long BATCH = 20_000;

  @Test
  void randomSchedulesForATimeBudget() {
    String budgetText = System.getProperty("muster.sim.budget");
    Assumptions.assumeTrue(budgetText != null && !budgetText.isBlank(), "no -Dmuster.sim.budget");
    Duration budget = parseBudget(budgetText);
    long base = Long.getLong("muster.sim.seed", System.currentTimeMillis() * 1_000);
    boolean declarative = "declarative".equals(System.getProperty("muster.sim.model"));
    Set<Fault.Kind> kinds =
        "all".equals(System.getProperty("muster.sim.classes"))
            ? EnumSet.allOf(Fault.Kind.class)
            : declarative ? Scenario.DECLARATIVE : Scenario.TODAY;
    System.out.printf(
        "[simulate] budget %s, first seed %d, %d cores, %s, fault classes %s%n",
        budget,
        base,
        Runtime.getRuntime().availableProcessors(),
        declarative ? "declarative mode" : "lock and lockless",
        kinds);

    long start = System.nanoTime();
    long deadline = start + budget.toNanos();
    long nextReport = start + Duration.ofMinutes(1).toNanos();
    Explorer.Totals all = new Explorer.Totals();
    long seed = base;
    while (System.nanoTime() < deadline && all.firstFailure.get() == null) {
      if (declarative) {
        Explorer.searchDeclarative(seed, BATCH, kinds, all);
      } else {
        Explorer.search(seed, BATCH, kinds, Scenario.Mutation.NONE, null, true, all);
      }
      seed += BATCH;
      if (System.nanoTime() >= nextReport) {
        System.out.println("[simulate] " + line(all, start));
        nextReport += Duration.ofMinutes(1).toNanos();
      }
    }
    System.out.println("[simulate] done: " + line(all, start));
    System.out.println("[simulate] faults injected by kind: " + all.faultsLine());
    Scenario deepest = all.deepestScenario.get();
    if (deepest != null) {
      System.out.printf(
          "[simulate] deepest schedule: %d steps: %s%n[simulate] replay it: %s%n",
          all.deepest.get(), deepest, Explorer.replayCommand(deepest));
    }
    Explorer.Outcome failed = all.firstFailure.get();
    assertThat(failed)
        .as(() -> failed == null ? "" : Explorer.report(failed.scenario(), 80))
        .isNull();
  }

  private static String line(Explorer.Totals t, long start) {
    double seconds = (System.nanoTime() - start) / 1e9;
    return String.format(
        "%.0f s: %d schedules (%.0f/s), %d steps (%.0f/s), %d core events (%.0f/s), deepest %d"
            + " steps",
        seconds,
        t.schedules.get(),
        t.schedules.get() / seconds,
        t.steps.get(),
        t.steps.get() / seconds,
        t.events.get(),
        t.events.get() / seconds,
        t.deepest.get());
  }

  /** {@code 20m}, {@code 90s}, {@code 1h}, or an ISO-8601 duration. */
  static Duration parseBudget(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.startsWith("p")) {
      return Duration.parse(text.trim());
    }
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (t.charAt(t.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default ->
          throw new IllegalArgumentException(
              "muster.sim.budget: expected a number and s, m or h (20m), got " + text);
    };
  }
}
