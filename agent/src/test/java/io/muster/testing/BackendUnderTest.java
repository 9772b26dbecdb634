package io.muster.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muster.agent.AgentConfig;
import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.Registration;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Test helper: a backend made from config text, on a Vert.x of its own, closed afterwards. */
public final class BackendUnderTest {

  private BackendUnderTest() {}

  /** What a test does with the backend. */
  public interface Check {
    void check(Backend backend) throws Exception;
  }

  public static void with(String configText, Check body) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (Backend backend =
        AgentConfig.fromText("test.conf", configText, Map.of()).createBackend(vertx)) {
      body.check(backend);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** One discovery with {@code timeout}, awaited a little longer. */
  public static DiscoveryResult discover(Backend backend, Duration timeout) throws Exception {
    return backend
        .discover(timeout)
        .toCompletableFuture()
        .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /** The failure of a registration that must fail (bad credentials, ...), awaited up to 30 s. */
  public static ExecutionException registerFails(Backend backend) {
    return assertThrows(
        ExecutionException.class,
        () -> ((Registration) backend).register().toCompletableFuture().get(30, TimeUnit.SECONDS));
  }

  /** The result of one discovery (10 s) by a backend made from {@code configText}. */
  public static DiscoveryResult discoverOnce(String configText) throws Exception {
    return discoverOnce(configText, Duration.ofSeconds(10));
  }

  public static DiscoveryResult discoverOnce(String configText, Duration timeout) throws Exception {
    DiscoveryResult[] out = new DiscoveryResult[1];
    with(configText, b -> out[0] = discover(b, timeout));
    return out[0];
  }
}
