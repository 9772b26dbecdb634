package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, defect 12: once retries ran out, the wait went silent for good ({@code left % 20} on
 * -1), and the log said "as muster.on_exhausted = wait says" whatever was configured. Both failed
 * before the fix.
 */
class ExhaustedRetriesLogTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final int LIMIT = 3;

  /** A log that keeps the warnings, formatted. */
  private static final class Warnings implements CoreLog {
    final List<String> lines = new ArrayList<>();

    @Override
    public void debug(String format, Object... args) {}

    @Override
    public void info(String format, Object... args) {}

    @Override
    public void warn(String format, Object... args) {
      String out = format;
      for (Object a : args) {
        out = out.replaceFirst("\\{}", java.util.regex.Matcher.quoteReplacement(String.valueOf(a)));
      }
      lines.add(out);
    }

    @Override
    public void error(String format, Object... args) {}
  }

  /** Runs a lock core whose lock is never granted for {@code rounds} attempts. */
  private static List<String> exhaust(OnExhausted onExhausted, int rounds) {
    Warnings log = new Warnings();
    FormationCore core =
        new FormationCore(
            new CoreTuning(
                "etcd",
                LIMIT,
                Duration.ofMillis(500),
                1,
                Duration.ofSeconds(1),
                onExhausted,
                Duration.ofSeconds(30),
                Duration.ofSeconds(2),
                Duration.ofSeconds(2)),
            new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty()),
            new NodeRecord(SELF, T0),
            new SplittableRandom(1),
            log);
    Deque<Effect> todo = new ArrayDeque<>(core.handle(T0, new Event.Start(Optional.empty())));
    Instant now = T0;
    int attempts = 0;
    while (!todo.isEmpty() && attempts < rounds) {
      Effect e = todo.poll();
      now = now.plusMillis(10);
      Event answer = null;
      if (e instanceof Effect.Register) {
        answer = new Event.Registered("lease");
      } else if (e instanceof Effect.Discover) {
        answer = new Event.Discovered(new DiscoveryResult.Peers(List.of(SELF)));
      } else if (e instanceof Effect.AcquireLock) {
        attempts++;
        answer = new Event.LockNotAcquired("lock_timeout");
      } else if (e instanceof Effect.ArmTimer t) {
        now = now.plus(t.delay());
        answer = new Event.TimerFired(t.timer());
      }
      if (answer != null) {
        todo.addAll(core.handle(now, answer));
      }
    }
    assertThat(attempts).isEqualTo(rounds);
    return log.lines.stream().filter(l -> l.contains("Retries exhausted")).toList();
  }

  @Test
  void theWaitIsLoggedOnItsFirstRoundAndEveryTwentiethAfter() {
    List<String> lines = exhaust(OnExhausted.WAIT, LIMIT + 1 + 45);
    assertThat(lines).hasSize(3); // rounds 1, 20 and 40 after retries ran out
    assertThat(lines.get(0)).contains("1 rounds since").contains("as muster.on_exhausted = wait");
    assertThat(lines.get(2)).contains("40 rounds since");
  }

  @Test
  void aLockBackendConfiguredStandaloneSaysWhyItStillWaits() {
    List<String> lines = exhaust(OnExhausted.STANDALONE, LIMIT + 2);
    assertThat(lines)
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("although muster.on_exhausted = standalone")
                    .contains("formation lock")
                    .doesNotContain("as muster.on_exhausted = wait says"));
  }
}
