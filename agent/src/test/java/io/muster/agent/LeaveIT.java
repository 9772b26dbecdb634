package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.cli.Cli;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: {@code muster leave}, a planned decommission. The member node leaves its cluster itself
 * ({@code muster.node.leave_command}), then the agent unregisters, removes its membership record
 * and stops. It is refused, changing nothing, when the node is not a member, when no leave command
 * is set, or when the command fails. (EtcdLeaveIT checks the registration goes from real etcd.)
 */
class LeaveIT {

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> leave(Agent agent) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.apiPort() + "/v1/leave"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(60))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aMemberLeavesItsClusterThenItsRecordGoesAndTheAgentStops() throws Exception {
    Path marker = dir.resolve("left-by-node");
    Path script = dir.resolve("leave-cluster");
    Files.writeString(script, "#!/bin/sh\necho \"$MUSTER_CLUSTER_ID\" > " + marker + "\n");
    script.toFile().setExecutable(true);
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent agent = agents.start(1, List.of(1), "muster.node.leave_command = " + script + "\n");
      String cluster = agent.engine().decision().get(30, TimeUnit.SECONDS).clusterId();

      HttpResponse<String> early = leave(agent);
      assertThat(early.statusCode()).as("not a member yet").isEqualTo(409);
      assertThat(early.body()).contains("not a member of a formed cluster");
      assertThat(marker).doesNotExist();

      agent.engine().complete();
      Path record = dir.resolve("n1").resolve("membership.json");
      assertThat(record).exists();

      HttpResponse<String> left = leave(agent);
      assertThat(left.statusCode()).as(left.body()).isEqualTo(200);
      assertThat(new JsonObject(left.body()).getString("left")).isEqualTo(cluster);
      assertThat(Files.readString(marker).strip())
          .as("the node left, told which cluster")
          .isEqualTo(cluster);
      assertThat(record).as("a restart is a blank node, never a rejoin").doesNotExist();
      assertThat(agent.left()).isCompletedWithValue(cluster);
    }
  }

  @Test
  void withoutALeaveCommandOrWhenItFailsNothingChanges() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent none = agents.start(1, List.of(1), "");
      none.engine().decision().get(30, TimeUnit.SECONDS);
      none.engine().complete();
      HttpResponse<String> r = leave(none);
      assertThat(r.statusCode()).isEqualTo(409);
      assertThat(r.body()).contains("set muster.node.leave_command");
      assertThat(dir.resolve("n1").resolve("membership.json")).exists();
      assertThat(none.left()).isNotDone();
    }
    try (LoopbackAgents agents = new LoopbackAgents(dir.resolve("failing"), 1)) {
      Agent failing = agents.start(1, List.of(1), "muster.node.leave_command = false\n");
      failing.engine().decision().get(30, TimeUnit.SECONDS);
      failing.engine().complete();
      HttpResponse<String> r = leave(failing);
      assertThat(r.statusCode()).isEqualTo(409);
      assertThat(r.body()).contains("failed (exit 1)").contains("still a member");
      assertThat(dir.resolve("failing").resolve("n1").resolve("membership.json")).exists();
      assertThat(failing.left()).isNotDone();
    }
  }

  @Test
  void theCommandNeedsYes() {
    Cli.Result r = Cli.run("leave", "--config", "/nonexistent.conf");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("add --yes");
  }
}
