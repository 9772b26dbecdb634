package io.muster.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.agent.Agent;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md invariant 5, bounded waiting (issue 18, defect 12): a completion the agent keeps
 * refusing is retried for {@code muster.exec.ready.timeout} at most, then given up and logged.
 * Before, {@code Completion} retried until it succeeded or the node stopped, without a bound.
 */
class CompletionIT {

  @TempDir Path dir;

  @Test
  void aCompletionThatKeepsFailingIsGivenUpAfterItsBound() throws Exception {
    try (TestAgents agents =
        TestAgents.lockless(
            dir,
            i -> "rabbit@127.0.0." + i,
            "classic_config",
            i ->
                "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n"
                    + "cluster_formation.classic_config.nodes.2 = rabbit@127.0.0.2\n")) {
      // rabbit@127.0.0.2 never answers: no decision, so every completion is refused
      Agent a = agents.start(1);
      boolean completed =
          Completion.complete(a, Duration.ofMillis(50), () -> true, Duration.ofMillis(500));
      assertThat(completed).isFalse();
      assertThat(a.local().decision()).as("still deciding").isNull();
    }
  }
}
