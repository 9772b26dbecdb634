package io.muster.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.PeerView;
import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A member counts as absent only over several distinct reads of the peer list, and with a watch the
 * list is read only when it changes. Found by RabbitFormationIT once re-assertions stopped
 * re-reading the list: nothing asked for the next read, so a replaced node was never forgotten. A
 * pass that sees an absence now asks for one.
 */
class NodeCleanupReadsTest {

  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");
  private static final NodeName C = NodeName.parse("rabbit@c");

  @Test
  void aPassThatSeesAnAbsentMemberAsksForTheNextReadAndOnlyThen() {
    PeerView view = new PeerView(Clock.systemUTC());
    view.success(List.of(A, B, C));
    NodeCleanup cleanup =
        new NodeCleanup(
            new CleanupSettings(
                Duration.ofSeconds(2),
                false,
                Optional.empty(),
                Optional.of(List.of("true")),
                1,
                Optional.of(Duration.ZERO),
                50),
            A,
            view,
            () -> true,
            Duration.ZERO,
            NodeCleanup.Guard.NONE);
    AtomicInteger asked = new AtomicInteger();
    cleanup.onAbsence(asked::incrementAndGet);

    cleanup.members(Set.of(A, B, C));
    cleanup.pass();
    assertThat(asked).as("nobody absent: no read asked for").hasValue(0);

    view.success(List.of(A, B)); // C's registration is gone
    cleanup.pass();
    assertThat(asked).as("C absent: the next read is asked for").hasValue(1);
    cleanup.pass();
    assertThat(asked).as("and again while it stays absent").hasValue(2);
  }
}
