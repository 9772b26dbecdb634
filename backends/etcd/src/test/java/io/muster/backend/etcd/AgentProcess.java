package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Talking to an agent in another JVM ({@code muster run}) the way its node would: the formation
 * endpoints over HTTP, and signals to the process (SIGSTOP to freeze it, SIGCONT to resume).
 */
final class AgentProcess {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private AgentProcess() {}

  /** {@code POST /v1/formation?wait=200ms}: the decision, an abort, or a problem. */
  static JsonObject formation(int port) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/formation?wait=200ms"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new JsonObject(r.body());
  }

  /** Polls {@link #formation} until {@code done} holds (bounded). */
  static JsonObject awaitFormation(int port, Predicate<JsonObject> done) {
    return await()
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(() -> formation(port), done);
  }

  /** Polls until the agent answers a decision (or an abort). */
  static JsonObject awaitDecision(int port) {
    return awaitFormation(port, f -> f.getString("action") != null);
  }

  /** {@code POST path} without a body; the status. */
  static int post(int port, String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** {@code kill -SIGNAL pid}. */
  static void signal(Process p, String signal) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
    assertThat(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0)
        .as("kill -%s %d", signal, p.pid())
        .isTrue();
  }
}
