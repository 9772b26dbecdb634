package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.muster.config.ConfigException;
import io.muster.testing.AgentApi;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
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
 * Issue 18, defect 10 (formation.md step 7): when formation fails for good, nothing may look
 * healthy. A membership record without a cluster id ended the formation thread with {@code
 * /health/live} and {@code /health/ready} answering 200 and the peer list frozen with {@code stale:
 * false}; both probes failed to notice before this test's fix.
 */
class FormationFailureIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  private static int status(int port, String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void aRecordWithoutAClusterIdFailsBothProbesAndFlagsThePeerListStale() throws Exception {
    Path data = dir.resolve("n1");
    Files.createDirectories(data);
    Files.writeString(
        data.resolve("membership.json"),
        "{\"node\":\"rabbit@127.0.0.1\",\"members\":[\"rabbit@127.0.0.1\"],"
            + "\"formed_at\":\"2026-01-01T00:00:00Z\"}");
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent a = agents.start(1, List.of(1), "");
      int port = a.apiPort();
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .untilAsserted(() -> assertThat(status(port, "/health/live")).isEqualTo(503));
      assertThat(status(port, "/health/ready")).isEqualTo(503);
      JsonObject formation = AgentApi.status(port).getJsonObject("formation");
      assertThat(formation.getString("phase")).isEqualTo("failed");
      assertThat(formation.getString("failure")).isNotBlank();
      assertThat(AgentApi.stale(port)).as("the peer list nobody keeps fresh").isTrue();
    }
  }

  /**
   * Issue 18, defect 4 (formation.md v2 step 2): a membership record written for another node (a
   * cloned image, a shared data dir) made this node rejoin someone else's cluster; the agent now
   * refuses to start (exit 2) and says why. It started and rejoined before.
   */
  @Test
  void aRecordWrittenForAnotherNodeRefusesToStart() throws Exception {
    Path data = dir.resolve("n1");
    Files.createDirectories(data);
    Files.writeString(
        data.resolve("membership.json"),
        "{\"node\":\"rabbit@127.0.0.5\",\"cluster_id\":\"c-other\","
            + "\"members\":[\"rabbit@127.0.0.5\"],\"formed_at\":\"2026-01-01T00:00:00Z\"}");
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      assertThatThrownBy(() -> agents.start(1, List.of(1, 2), ""))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("muster.node_name")
          .hasMessageContaining("written for rabbit@127.0.0.5")
          .hasMessageContaining("rabbit@127.0.0.1");
    }
  }
}
