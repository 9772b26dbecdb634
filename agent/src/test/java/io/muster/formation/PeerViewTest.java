package io.muster.formation;

import static io.muster.formation.ContactPointRuleTest.n;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PeerViewTest {

  private final PeerView view = new PeerView(Clock.systemUTC());

  @Test
  void publishesASortedDeduplicatedListAndKeepsBackendOrderAside() {
    view.success(List.of(n(3), n(1), n(3), n(2)));
    assertThat(view.snapshot().peers()).containsExactly(n(1), n(2), n(3));
    assertThat(view.snapshot().backendOrder()).containsExactly(n(3), n(1), n(2));
    assertThat(view.snapshot().stale()).isFalse();
  }

  @Test
  void failureKeepsTheLastGoodListFlaggedStale() {
    view.success(List.of(n(1), n(2)));
    view.failure("timeout: etcd did not answer");
    assertThat(view.snapshot().peers()).containsExactly(n(1), n(2));
    assertThat(view.snapshot().stale()).isTrue();
    assertThat(view.snapshot().lastError()).contains("etcd did not answer");
  }

  @Test
  void emptyAnswerAfterAGoodOneIsNotTrusted() {
    view.success(List.of(n(1), n(2)));
    view.success(List.of());
    assertThat(view.snapshot().peers()).containsExactly(n(1), n(2));
    assertThat(view.snapshot().stale()).isTrue();
  }

  @Test
  void recoveryClearsStaleAndMovesTheIndex() {
    view.success(List.of(n(1)));
    long before = view.snapshot().index();
    view.failure("x");
    view.success(List.of(n(1)));
    assertThat(view.snapshot().stale()).isFalse();
    assertThat(view.snapshot().index()).isGreaterThan(before);
  }

  /** Issue 20: {@code /v1/peers} showed an old error after later reads had worked. */
  @Test
  void aGoodReadClearsTheLastError() {
    view.failure("bad_response: service rabbitmq has no usable endpoints yet");
    view.success(List.of(n(1)));
    assertThat(view.snapshot().lastError()).isNull();
    assertThat(view.snapshot().lastErrorAt()).isNull();
  }

  @Test
  void unchangedListKeepsTheIndex() {
    view.success(List.of(n(1)));
    long index = view.snapshot().index();
    view.success(List.of(n(1)));
    assertThat(view.snapshot().index()).isEqualTo(index);
  }

  @Test
  void waiterIsCalledOnceTheIndexMovesPastItsOwn() {
    view.success(List.of(n(1)));
    long index = view.snapshot().index();
    AtomicReference<PeerView.Snapshot> seen = new AtomicReference<>();
    view.onChange(index, seen::set);
    view.success(List.of(n(1)));
    assertThat(seen.get()).isNull();
    view.success(List.of(n(1), n(2)));
    assertThat(seen.get().peers()).containsExactly(n(1), n(2));
  }

  @Test
  void cancelledWaiterIsNotCalled() {
    view.success(List.of(n(1)));
    AtomicReference<PeerView.Snapshot> seen = new AtomicReference<>();
    view.onChange(view.snapshot().index(), seen::set).run();
    view.success(List.of(n(2)));
    assertThat(seen.get()).isNull();
  }
}
