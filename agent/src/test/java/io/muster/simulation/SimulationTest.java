package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The CI run of the simulator: random schedules of today's fault classes on lock and lockless
 * backends, and every interleaving of the first steps of small boots. A failure prints the shrunk
 * trace and a replay command. {@code -Dmuster.sim.schedules=N} changes the count.
 */
class SimulationTest {

  static final long SCHEDULES = Long.getLong("muster.sim.schedules", 100_000);

  @Test
  void randomSchedulesOfTodaysFaultClassesKeepEveryInvariant() {
    long start = System.nanoTime();
    Explorer.Totals t =
        Explorer.search(1, SCHEDULES, Scenario.TODAY, Scenario.Mutation.NONE, null, true);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "[simulate] %d schedules (%d without an injected fault), %d core events, %d steps (per"
            + " schedule: steps %d..%d, core events >= %d), %.1f s: %.0f schedules/s, %.0f"
            + " steps/s; faults: %s%n",
        t.schedules.get(),
        t.faultless.get(),
        t.events.get(),
        t.steps.get(),
        t.shallowest.get(),
        t.deepest.get(),
        t.fewestEvents.get(),
        seconds,
        t.schedules.get() / seconds,
        t.steps.get() / seconds,
        t.faultsLine());
    System.out.printf(
        "[simulate] seeds decided inside a wipe's documented window (accepted by formation.md): %d"
            + "%n",
        t.windowSeeds.get());
    Explorer.Outcome failed = t.firstFailure.get();
    assertThat(failed)
        .as(() -> failed == null ? "" : Explorer.report(failed.scenario(), 80))
        .isNull();
    assertThat(t.faultless.get()).as("schedules without an injected fault").isZero();
    assertThat(t.shallowest.get())
        .as("steps of the shortest schedule, %s", t.shallowestScenario.get())
        .isGreaterThanOrEqualTo(Sim.MIN_STEPS);
  }

  static final long DECLARATIVE_SCHEDULES =
      Long.getLong("muster.sim.declarative.schedules", 10_000);

  /**
   * Declarative mode (the Clusterer's model) under today's lockless fault classes, and in half the
   * schedules a younger config version with gospel reset applied to one agent and spread to the
   * others: one cluster, and every live node in it once faults stop, whichever node is the gospel
   * (or reset); after a version bump, every node reset before the new seed and one cluster at the
   * newest version.
   */
  @Test
  void declarativeSchedulesOfTodaysFaultClassesAndVersionBumpsKeepEveryInvariant() {
    long start = System.nanoTime();
    Explorer.Totals t = Explorer.searchDeclarative(1, DECLARATIVE_SCHEDULES, Scenario.DECLARATIVE);
    System.out.printf(
        "[simulate] declarative: %d schedules, %d core events, %.1f s; %d formed nodes reset by a"
            + " younger version in %d schedules, %d held records of an older version reset before"
            + " their node started; faults: %s%n",
        t.schedules.get(),
        t.events.get(),
        (System.nanoTime() - start) / 1e9,
        t.formedResets.get(),
        t.schedulesWithFormedResets.get(),
        t.heldResets.get(),
        t.faultsLine());
    Explorer.Outcome failed = t.firstFailure.get();
    assertThat(failed)
        .as(() -> failed == null ? "" : Explorer.report(failed.scenario(), 80))
        .isNull();
    assertThat(t.schedules.get()).isEqualTo(DECLARATIVE_SCHEDULES);
    assertThat(t.schedulesWithFormedResets.get())
        .as("schedules in which a younger version reset a formed node")
        .isGreaterThan(DECLARATIVE_SCHEDULES / 10);
  }

  @Test
  void everyInterleavingOfTheFirstStepsOfTwoAndThreeAgentsKeepsEveryInvariant() {
    for (boolean lock : new boolean[] {true, false}) {
      Explorer.Totals two = Explorer.exhaustive(lock, 2, Explorer.EXHAUSTIVE_DEPTH, 11);
      Explorer.Totals three = Explorer.exhaustive(lock, 3, Explorer.EXHAUSTIVE_DEPTH, 13);
      System.out.printf(
          "[simulate] exhaustive %s: 2 agents x %d steps: %d schedules; 3 agents x %d steps: %d"
              + " schedules%n",
          lock ? "lock" : "lockless",
          Explorer.EXHAUSTIVE_DEPTH,
          two.schedules.get(),
          Explorer.EXHAUSTIVE_DEPTH,
          three.schedules.get());
      for (Explorer.Totals t : new Explorer.Totals[] {two, three}) {
        Explorer.Outcome failed = t.firstFailure.get();
        assertThat(failed).as(() -> failed == null ? "" : failed.violation()).isNull();
      }
    }
  }

  @Test
  void replayIsDeterministic() {
    Scenario s = Scenario.random(424242, true, Set.copyOf(Scenario.TODAY), Scenario.Mutation.NONE);
    Sim a = new Sim(s, true, null);
    Sim b = new Sim(s, true, null);
    a.run();
    b.run();
    assertThat(a.events).isGreaterThan(0);
    assertThat(a.trace.lines).isEqualTo(b.trace.lines);
  }
}
