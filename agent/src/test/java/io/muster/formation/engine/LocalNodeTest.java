package io.muster.formation.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Issue 22: a prober new to this agent wakes the formation loop; a known one does not. */
class LocalNodeTest {

  @Test
  void onlyAProberNotYetCountedWakesTheLoop() {
    LocalNode local = new LocalNode(NodeName.parse("rabbit@10.0.0.1"), Clock.systemUTC());
    AtomicInteger wakes = new AtomicInteger();
    local.onNewProber(wakes::incrementAndGet);
    NodeName peer = NodeName.parse("rabbit@10.0.0.2");
    local.probedBy(peer);
    local.probedBy(peer);
    assertThat(wakes).hasValue(1);
    local.probedBy(NodeName.parse("rabbit@10.0.0.3"));
    assertThat(wakes).hasValue(2);
  }

  @Test
  void aProberForgottenAsSilentWakesTheLoopAgainWhenItComesBack() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    AtomicReference<Instant> now = new AtomicReference<>(t0);
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    LocalNode local = new LocalNode(NodeName.parse("rabbit@10.0.0.1"), clock);
    AtomicInteger wakes = new AtomicInteger();
    local.onNewProber(wakes::incrementAndGet);
    NodeName peer = NodeName.parse("rabbit@10.0.0.2");
    local.probedBy(peer);
    now.set(t0.plus(Duration.ofMinutes(5))); // silent past the default 30 s expiry, not discovered
    local.probedBy(peer);
    assertThat(wakes).hasValue(2);
    local.probedBy(NodeName.parse("rabbit@10.0.0.1"));
    assertThat(wakes).as("this node's own name is never a prober").hasValue(2);
  }

  @Test
  void aProbeThatNamesNoNodeIsAnsweredAndWakesNothing() {
    LocalNode local = new LocalNode(NodeName.parse("rabbit@10.0.0.1"), Clock.systemUTC());
    AtomicInteger wakes = new AtomicInteger();
    local.onNewProber(wakes::incrementAndGet);
    assertThat(local.probedBy(null).node()).isEqualTo(NodeName.parse("rabbit@10.0.0.1"));
    assertThat(wakes).hasValue(0);
  }
}
