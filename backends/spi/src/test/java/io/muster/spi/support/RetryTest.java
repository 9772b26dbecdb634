package io.muster.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryTest {

  /** Always draws 0: a failure's delay is then exactly the fixed half of its ceiling. */
  private static final RandomGenerator ZERO = () -> 0L;

  @Test
  void failuresCountUpRunTheNextAttemptAndASuccessResets() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Retry retry = new Retry(vertx, new Backoff(Duration.ofMillis(10), ZERO));
      List<Retry.Scheduled> scheduled = new ArrayList<>();
      CompletableFuture<Void> ran = new CompletableFuture<>();
      scheduled.add(retry.failed(() -> {}));
      scheduled.add(retry.failed(() -> {}));
      scheduled.add(retry.failed(() -> ran.complete(null)));
      ran.get(10, TimeUnit.SECONDS);
      assertThat(scheduled).extracting(Retry.Scheduled::failure).containsExactly(1, 2, 3);
      assertThat(scheduled.get(2).delay()).isEqualTo(Duration.ofMillis(20));
      assertThat(retry.failures()).isEqualTo(3);
      retry.succeeded();
      assertThat(retry.failed(() -> {}).failure()).isEqualTo(1);
      assertThat(retry.after(7, () -> {}).delay()).isEqualTo(Duration.ofMillis(40));
    } finally {
      vertx.close();
    }
  }
}
