package io.muster.formation.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.NodeName;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
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
  void aProbeThatNamesNoNodeIsAnsweredAndWakesNothing() {
    LocalNode local = new LocalNode(NodeName.parse("rabbit@10.0.0.1"), Clock.systemUTC());
    AtomicInteger wakes = new AtomicInteger();
    local.onNewProber(wakes::incrementAndGet);
    assertThat(local.probedBy(null).node()).isEqualTo(NodeName.parse("rabbit@10.0.0.1"));
    assertThat(wakes).hasValue(0);
  }
}
