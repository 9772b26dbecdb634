package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node polls {@code POST /v1/formation?wait=...} before the agent has decided: every poll that
 * runs out answers 503, and the decision still reaches it (and {@code muster exec}) once taken.
 * Before, the first poll to run out completed the engine's own decision future with its time-out,
 * so the decision taken later never reached anyone (found by the etcd fault hunt on a loaded
 * machine: the seed decided, and its node was told "no decision yet" for good).
 */
class FormationPollIT {

  @TempDir Path dir;

  private static HttpResponse<String> formation(int port, String wait) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/formation?wait=" + wait))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPollThatRunsOutBeforeTheDecisionNeverKeepsTheDecisionFromTheNode() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      // rabbit@127.0.0.2 is not up yet: no decision while it does not answer
      Agent first = agents.start(1, List.of(1, 2), "");
      assertThat(formation(first.apiPort(), "100ms").statusCode()).isEqualTo(503);
      assertThat(first.engine().decision()).isNotDone();
      agents.start(2, List.of(1, 2), "");
      JsonObject d =
          await()
              .atMost(Timing.scaled(Duration.ofSeconds(30)))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> formation(first.apiPort(), "1s"), r -> r.statusCode() == 200)
              .body()
              .transform(JsonObject::new);
      assertThat(d.getString("action")).isIn("seed", "join");
      assertThat(first.engine().decision()).isCompletedWithValueMatching(x -> x != null);
    }
  }
}
