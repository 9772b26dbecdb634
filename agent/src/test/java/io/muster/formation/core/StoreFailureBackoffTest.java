package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: a marker nobody can read was refused (right), but the agent then asked again every
 * 0.4-0.6 s forever: lock, read, release, over and over (on Consul, 56 sessions in 38 s). Failures
 * under the lock now back off like any failed backend call, and the status says what blocks.
 */
class StoreFailureBackoffTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final String UNREADABLE =
      "the formation marker rabbitmq/default/formation is unreadable (not JSON; it holds"
          + " \"garbage\"); fix or delete it by hand after checking the cluster";

  private final FormationCore core =
      Cores.core(
          "consul",
          new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty()),
          SELF,
          T0);

  private Instant now = T0;

  private List<Effect> handle(Event e) {
    now = now.plusMillis(10);
    return core.handle(now, e);
  }

  private static Event peers() {
    return new Event.Discovered(new DiscoveryResult.Peers(List.of(SELF)));
  }

  @Test
  void anUnreadableMarkerIsAskedForLessAndLessOftenAndNamedInTheStatus() {
    handle(new Event.Start(Optional.empty()));
    handle(new Event.Registered("session"));
    List<Duration> waits = new ArrayList<>();
    long timer = -1;
    for (int round = 0; round < 5; round++) {
      List<Effect> read = handle(round == 0 ? peers() : new Event.TimerFired(timer));
      if (round > 0) {
        assertThat(read).anyMatch(Effect.Discover.class::isInstance);
        read = handle(peers());
      }
      assertThat(read).anyMatch(Effect.AcquireLock.class::isInstance);
      assertThat(handle(new Event.LockAcquired())).anyMatch(Effect.ReadMarker.class::isInstance);
      assertThat(handle(new Event.StoreFailed(UNREADABLE)))
          .anyMatch(Effect.ReleaseLock.class::isInstance);
      Effect.ArmTimer armed =
          handle(new Event.LockReleased(Optional.empty())).stream()
              .filter(Effect.ArmTimer.class::isInstance)
              .map(Effect.ArmTimer.class::cast)
              .findFirst()
              .orElseThrow();
      waits.add(armed.delay());
      timer = armed.timer();
      now = now.plus(armed.delay());
      assertThat(core.status().waitingFor()).contains("rabbitmq/default/formation", "garbage");
    }
    // the retry interval is 500 ms: equal-jitter backoff doubles to a cap of 8x
    assertThat(waits.get(0)).isBetween(Duration.ofMillis(250), Duration.ofMillis(500));
    assertThat(waits.get(3)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(4000));
    assertThat(waits.get(4)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(4000));
  }
}
