package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.cli.Cli;
import io.muster.testing.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: {@code muster status --check} for scripts and probes: exit 3 with one "NOT READY" line
 * per reason while the agent has no decision, 0 with one "OK" line once it has; and the explained
 * status ends with the step that comes next.
 */
class StatusCheckIT {

  @TempDir Path dir;

  /**
   * After formation, status shows peers as they answer now (formed, with their cluster), not as
   * they were when this node decided, and how long ago that round was.
   */
  @Test
  void afterFormationPeersShowAsFormedWithTheAgeOfTheirAnswers() throws Exception {
    String fast = "muster.discovery.poll_interval = 200ms\n";
    try (LoopbackAgents agents = new LoopbackAgents(dir.resolve("formed"), 2)) {
      Agent first = agents.start(1, List.of(1, 2), fast);
      Agent second = agents.start(2, List.of(1, 2), fast);
      String cluster =
          first.engine().decision().get(30, java.util.concurrent.TimeUnit.SECONDS).clusterId();
      second.engine().decision().get(30, java.util.concurrent.TimeUnit.SECONDS);
      first.engine().complete();
      second.engine().complete();
      String api = "127.0.0.1:" + first.apiPort();
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () ->
                  assertThat(Cli.run("status", "--api", api).out())
                      .contains("rabbit@127.0.0.2")
                      .contains("formed " + cluster)
                      .containsPattern("last probe round \\d+\\.\\d s ago"));
    }
  }

  @Test
  void checkExitsThreeUntilTheAgentDecidesThenZero() {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent first = agents.start(1, List.of(1, 2), "");
      String api = "127.0.0.1:" + first.apiPort();
      Cli.Result waiting = Cli.run("status", "--check", "--api", api);
      assertThat(waiting.code()).isEqualTo(3);
      assertThat(waiting.out()).startsWith("NOT READY: no decision yet: ");
      Cli.Result explained = Cli.run("status", "--api", api);
      assertThat(explained.code()).isZero();
      assertThat(explained.out()).contains("next:         keep deciding (");

      agents.start(2, List.of(1, 2), "");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () -> assertThat(Cli.run("status", "--check", "--api", api).code()).isZero());
      assertThat(Cli.run("status", "--check", "--api", api).out())
          .startsWith("OK: rabbit@127.0.0.1 forming, phase decided");
      assertThat(Cli.run("status", "--api", api).out())
          .contains("decision:     seed rabbit@127.0.0.1")
          .contains("next:         the node acts on seed, then completes");
    }
    assertThat(Cli.run("status", "--check", "--api", "127.0.0.1:1").code())
        .as("no agent answers")
        .isEqualTo(1);
  }
}
