package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Ports;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /health/started} for a node that Muster does not start itself (a Kubernetes native
 * sidecar's startup probe holds the server container back until it passes), and the health port
 * that serves it beside a loopback-only API. Two classic_config agents: node 1 seeds, node 2 joins
 * with {@code muster.exec.join_when = seed_ready}.
 */
class StartGateIT {

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void joinerStartsOnlyOnceTheSeedFormedAndItsFileIsRendered() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      int[] health = Ports.distinct(2, 2);
      int health1 = health[0];
      int health2 = health[1];
      Path file1 = dir.resolve("n1.peers");
      Path file2 = dir.resolve("n2.peers");
      Agent seed = agents.start(1, List.of(1, 2), extra(health1, file1));
      Agent joiner = agents.start(2, List.of(1, 2), extra(health2, file2));

      await("node 1 may start: it seeds")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> get(health1, "/health/started").statusCode() == 200);
      assertThat(file1).exists();
      await("node 2 decided to join")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> joiner.local().decision() != null);
      HttpResponse<String> waiting = get(health2, "/health/started");
      assertThat(waiting.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(waiting.body()).getString("waiting_for"))
          .isEqualTo("seed rabbit@127.0.0.1 to form (muster.exec.join_when = seed_ready)");

      seed.engine().complete(); // node 1's server reported its boot
      await("node 2 may start once the seed formed")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> get(health2, "/health/started").statusCode() == 200);
      assertThat(Files.readString(file2)).contains("rabbit@127.0.0.1");
      // The same endpoint on the loopback API answers alike.
      assertThat(get(joiner.apiPort(), "/health/started").statusCode()).isEqualTo(200);
    }
  }

  /**
   * {@code GET /v1/formation/seed}, which RabbitMQ's muster_peer_discovery module polls from inside
   * the broker's peer discovery lock: the seed may go on at once, a joiner (started at once, {@code
   * join_when} at its default) only once its seed has formed.
   */
  @Test
  void seedEndpointHoldsAJoinerUntilItsSeedFormed() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent seed = agents.start(1, List.of(1, 2), "");
      Agent joiner = agents.start(2, List.of(1, 2), "");
      await("both decided")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> seed.local().decision() != null && joiner.local().decision() != null);

      HttpResponse<String> s = get(seed.apiPort(), "/v1/formation/seed");
      assertThat(s.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(s.body()).getMap())
          .containsEntry("action", "seed")
          .containsEntry("seed", "rabbit@127.0.0.1")
          .containsEntry("formed", true);

      HttpResponse<String> waiting = get(joiner.apiPort(), "/v1/formation/seed");
      assertThat(waiting.statusCode()).isEqualTo(503);
      assertThat(waiting.headers().firstValue("Retry-After")).contains("1");
      JsonObject w = new JsonObject(waiting.body());
      assertThat(w.getString("action")).isEqualTo("join");
      assertThat(w.getBoolean("formed")).isFalse();
      assertThat(w.getString("waiting_for")).isEqualTo("seed rabbit@127.0.0.1 to form");

      seed.engine().complete(); // what the seed's module reports once its database is up
      await("the joiner may join once its seed formed")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> get(joiner.apiPort(), "/v1/formation/seed").statusCode() == 200);
      assertThat(new JsonObject(get(joiner.apiPort(), "/v1/formation/seed").body()).getMap())
          .containsEntry("action", "join")
          .containsEntry("formed", true);
    }
  }

  @Test
  void healthPortServesTheHealthEndpointsAndMetricsAndNothingElse() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      int health = Ports.freeOnLoopbacks(1);
      agents.start(1, List.of(1), extra(health, dir.resolve("n1.peers")));
      assertThat(get(health, "/health/live").statusCode()).isEqualTo(200);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .until(() -> get(health, "/health/ready").statusCode() == 200);
      for (String path :
          List.of("/v1/status", "/v1/peers", "/v1/formation", "/v1/formation/seed")) {
        HttpResponse<String> r = get(health, path);
        assertThat(r.statusCode()).as(path).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
      }
      // Prometheus scrapes here (issue 19): read-only, changes nothing
      assertThat(get(health, "/metrics").statusCode()).isEqualTo(200);
    }
  }

  private static String extra(int healthPort, Path file) {
    return "muster.health.bind = 127.0.0.1\n"
        + "muster.health.port = "
        + healthPort
        + "\nmuster.exec.join_when = seed_ready\n"
        + "muster.render.1.template = builtin:plain\n"
        + "muster.render.1.destination = "
        + file
        + "\n";
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
