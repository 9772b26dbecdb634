package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Replays one schedule given as {@code -Dmuster.sim.replay=...} and prints its whole trace. */
class SimulationReplayTest {

  @Test
  void replaysTheGivenSchedule() {
    String given = System.getProperty("muster.sim.replay");
    Assumptions.assumeTrue(given != null && !given.isBlank(), "no -Dmuster.sim.replay given");
    Scenario s = Explorer.decode(given);
    Sim sim = new Sim(s, true, null);
    String v = sim.run();
    sim.trace.lines.forEach(System.out::println);
    System.out.println("violation: " + v);
    assertThat(v).as("replayed %s", s).isNull();
  }
}
