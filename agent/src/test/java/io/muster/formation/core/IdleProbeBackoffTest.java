package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 22: a lockless agent whose peer never answers asked it every retry interval forever (about
 * 1.5% of a core on its own). While attempts remain the interval stays; once they are spent it
 * doubles up to 8x, and a wake-up (a new prober, see LocalNodeTest) still asks at once.
 */
class IdleProbeBackoffTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final NodeName ABSENT = NodeName.parse("rabbit@10.0.0.2");
  private static final int LIMIT = 3;

  private final FormationCore core =
      new FormationCore(
          new CoreTuning(
              "classic_config",
              LIMIT,
              Duration.ofMillis(500),
              1,
              Duration.ofSeconds(1),
              OnExhausted.WAIT,
              Duration.ofSeconds(30),
              Duration.ofSeconds(2),
              Duration.ofSeconds(2)),
          new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty()),
          new NodeRecord(SELF, T0),
          new SplittableRandom(3),
          CoreLog.NONE);

  private Instant now = T0;

  /**
   * Answers every effect (the peer never answers a probe) until the core has paused {@code rounds}
   * times; it is left paused on the last timer.
   */
  private List<Duration> pauses(List<Effect> first, int rounds) {
    List<Duration> out = new ArrayList<>();
    List<Effect> todo = new ArrayList<>(first);
    while (!todo.isEmpty() && out.size() < rounds) {
      Effect e = todo.remove(0);
      now = now.plusMillis(5);
      Event answer = null;
      if (e instanceof Effect.Discover) {
        answer = new Event.Discovered(new DiscoveryResult.Peers(List.of(SELF, ABSENT)));
      } else if (e instanceof Effect.Probe) {
        answer = new Event.Probed(Map.of());
      } else if (e instanceof Effect.ArmTimer t) {
        out.add(t.delay());
        if (out.size() == rounds) {
          break; // left paused on this timer
        }
        now = now.plus(t.delay());
        answer = new Event.TimerFired(t.timer());
      }
      if (answer != null) {
        todo.addAll(core.handle(now, answer));
      }
    }
    return out;
  }

  @Test
  void anAbsentPeerIsAskedEveryIntervalWhileAttemptsRemainThenEverLessOften() {
    List<Duration> pauses = pauses(core.handle(T0, new Event.Start(Optional.empty())), 20);
    assertThat(pauses.subList(0, LIMIT))
        .as("attempts left: the retry interval, +-20%")
        .allSatisfy(d -> assertThat(d.toMillis()).isBetween(400L, 600L));
    assertThat(pauses.subList(12, 20))
        .as("long after retries ran out: 4x to 8x the interval")
        .allSatisfy(d -> assertThat(d.toMillis()).isBetween(2000L, 4000L));
    long asks = pauses.stream().mapToLong(Duration::toMillis).sum();
    assertThat(asks).as("20 rounds take far longer than 20 intervals").isGreaterThan(30_000L);
  }

  @Test
  void aWakeUpDuringALongPauseAsksAgainAtOnce() {
    List<Duration> pauses = pauses(core.handle(T0, new Event.Start(Optional.empty())), 12);
    assertThat(pauses.get(11)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    List<Effect> after = core.handle(now.plusMillis(100), new Event.Wake());
    assertThat(after).hasAtLeastOneElementOfType(Effect.Discover.class);
  }
}
