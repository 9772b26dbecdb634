package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * formation.md step 2, names are unique: registration that finds the node's name held by another
 * live agent waits that registration out for one TTL, asking again well within it, and then stops
 * the agent with exit status 2 naming both; one that lapses in time lets the boot go on.
 */
class UniqueNameTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@twin");
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final String HOLDER = "etcd key /n/rabbit@twin is held by agent instance aaaa";

  private final FormationCore core =
      Cores.core(
          "etcd", new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty()), SELF, T0);

  private List<Effect> at(long ms, Event e) {
    return core.handle(T0.plusMillis(ms), e);
  }

  private static <T extends Effect> Optional<T> find(List<Effect> effects, Class<T> type) {
    return effects.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  /** Feeds NameTaken at {@code ms}; returns the timer the core armed to ask again. */
  private Effect.ArmTimer taken(long ms) {
    List<Effect> effects = at(ms, new Event.NameTaken(HOLDER, TTL));
    assertThat(find(effects, Effect.Exit.class)).as("exit at %d ms", ms).isEmpty();
    Effect.ArmTimer timer = find(effects, Effect.ArmTimer.class).orElseThrow();
    assertThat(timer.delay()).isLessThanOrEqualTo(TTL.dividedBy(10));
    assertThat(
            find(
                at(ms + timer.delay().toMillis(), new Event.TimerFired(timer.timer())),
                Effect.Register.class))
        .isPresent();
    return timer;
  }

  @Test
  void aNameStillHeldByAnotherAgentAfterOneTtlStopsTheAgentWithExitTwoNamingBoth() {
    assertThat(find(at(0, new Event.Start(Optional.empty())), Effect.Register.class)).isPresent();
    taken(10);
    taken(15_000);
    assertThat(core.status().waitingFor()).contains(HOLDER);
    List<Effect> last = at(30_010, new Event.NameTaken(HOLDER, TTL));
    Effect.Exit exit = find(last, Effect.Exit.class).orElseThrow();
    assertThat(exit.reason()).contains(HOLDER).contains("same node name").contains("30000 ms");
    assertThat(find(last, Effect.Fail.class)).isPresent();
    assertThat(core.status().phase()).isEqualTo(Phase.FAILED);
    // nothing after that: no decision, no registration
    assertThat(at(31_000, new Event.TimerFired(99))).isEmpty();
  }

  @Test
  void aNameWhoseOtherRegistrationLapsesWithinTheTtlIsTakenAndTheBootGoesOn() {
    at(0, new Event.Start(Optional.empty()));
    taken(10);
    taken(20_000);
    List<Effect> registered = at(25_000, new Event.Registered("etcd key /n/rabbit@twin"));
    assertThat(find(registered, Effect.Discover.class)).isPresent();
    assertThat(core.status().phase()).isNotEqualTo(Phase.FAILED);
  }
}
