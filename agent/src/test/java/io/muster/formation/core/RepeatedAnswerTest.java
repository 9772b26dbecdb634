package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A backend's previous answer served again (AWS within min_poll_interval) is not a fresh read
 * (issue 18, defect 12): the view keeps the time of the last real read, so cleanup's reads and
 * anything else that counts fresh discoveries do not count it. Before, the 30 s cache was a new
 * success every time.
 */
class RepeatedAnswerTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName A = NodeName.parse("rabbit@10.0.0.1");
  private static final NodeName B = NodeName.parse("rabbit@10.0.0.2");

  @Test
  void anAnswerServedAgainKeepsTheTimeOfTheLastRealRead() {
    FormationCore core =
        Cores.core(
            "aws",
            new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty()),
            A,
            T0);
    core.handle(T0, new Event.Start(Optional.empty()));
    DiscoveryResult.Peers read = new DiscoveryResult.Peers(List.of(A, B));
    core.handle(T0.plusMillis(10), new Event.Discovered(read));
    assertThat(core.view().lastSuccessAt()).isEqualTo(T0.plusMillis(10));
    core.handle(T0.plusSeconds(5), new Event.Discovered(read.again()));
    assertThat(core.view().lastSuccessAt()).isEqualTo(T0.plusMillis(10));
    assertThat(core.view().stale()).isFalse();
    core.handle(T0.plusSeconds(31), new Event.Discovered(read));
    assertThat(core.view().lastSuccessAt()).isEqualTo(T0.plusSeconds(31));
  }
}
