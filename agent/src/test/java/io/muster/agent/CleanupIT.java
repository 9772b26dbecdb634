package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.AgentApi;
import io.muster.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node cleanup on a running agent: members pushed by the node, compared with discovery. */
class CleanupIT {

  @TempDir Path dir;

  private static int put(int port, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/members"))
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void membersTheBackendNoLongerKnowsAreForgottenOneArgumentAtATimeButNeverTheLocalNode()
      throws Exception {
    Path log = dir.resolve("forgotten.txt");
    Path script = dir.resolve("forget.sh");
    // The node name arrives as one argument; the script only records what it was given.
    Files.writeString(
        script, "#!/bin/sh\nprintf '%s|' \"$@\" >> " + log + "\necho >> " + log + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent a =
          agents.start(
              1,
              List.of(1, 2),
              "cluster_formation.node_cleanup.interval = 1\n"
                  + "cluster_formation.node_cleanup.only_log_warning = false\n"
                  // missing over 3 fresh reads and 1 s before it is removed
                  + "muster.cleanup.absent_for = 1\n"
                  + "muster.discovery.poll_interval = 300ms\n"
                  + "muster.cleanup.forget_command = "
                  + script
                  + " forget_cluster_node {node}\n");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> !AgentApi.peerNames(a.apiPort()).isEmpty());
      assertThat(
              put(a.apiPort(), "[\"rabbit@127.0.0.1\",\"rabbit@127.0.0.2\",\"rabbit@127.0.0.9\"]"))
          .isEqualTo(204);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(() -> Files.exists(log) && Files.readString(log).contains("rabbit@127.0.0.9"));
      assertThat(Files.readString(log).trim()).isEqualTo("forget_cluster_node|rabbit@127.0.0.9|");
      assertThat(AgentApi.status(a.apiPort()).getJsonObject("cleanup").getJsonArray("removed"))
          .isNotEmpty();
      assertThat(put(a.apiPort(), "{not json")).isEqualTo(400);
    }
  }

  @Test
  void byDefaultCandidatesAreOnlyReportedInStatusAndMetrics() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent a = agents.start(1, List.of(1, 2), "cluster_formation.node_cleanup.interval = 1\n");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> !AgentApi.peerNames(a.apiPort()).isEmpty());
      put(a.apiPort(), "rabbit@127.0.0.1\nrabbit@127.0.0.7\n");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(
              () ->
                  AgentApi.status(a.apiPort())
                      .getJsonObject("cleanup")
                      .getJsonArray("candidates", new io.vertx.core.json.JsonArray())
                      .contains("rabbit@127.0.0.7"));
      assertThat(AgentApi.status(a.apiPort()).getJsonObject("cleanup").getJsonArray("removed"))
          .isEmpty();
      assertThat(AgentApi.get(a.apiPort(), "/metrics")).contains("muster_cleanup_candidates 1.0");
    }
  }
}
