package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.exec.ProbeCompleter;
import io.muster.formation.NodeState;
import io.muster.testing.Timing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code muster run} as a separate sidecar completes formation from the readiness probe. */
class RunReadinessIT {

  @TempDir Path dir;

  @Test
  void sidecarCompletesFormationOnceTheNodeAnswersItsProbe() throws Exception {
    Path ready = dir.resolve("ready");
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      String extra =
          "muster.exec.ready.command = test -e " + ready + "\nmuster.exec.ready.interval = 50ms\n";
      AgentConfig config =
          AgentConfig.fromText(
              "n1.conf", agents.configText(1, List.of(1), extra), java.util.Map.of());
      Agent a = agents.start(1, List.of(1), extra);
      try (AutoCloseable probe = ProbeCompleter.startIfConfigured(a, config.exec())) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> a.local().decision() != null);
        assertThat(a.local().state())
            .as("not complete before the node is ready")
            .isNotEqualTo(NodeState.FORMED);
        Files.writeString(ready, "");
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> a.local().state() == NodeState.FORMED);
      }
    }
  }

  @Test
  void nodeNeverReadyHasItsDecisionTakenAgain() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      String extra =
          "muster.exec.ready.tcp = 127.0.0.1:1\nmuster.exec.ready.timeout = 1\nmuster.exec.ready.interval = 50ms\n";
      AgentConfig config =
          AgentConfig.fromText(
              "n1.conf", agents.configText(1, List.of(1), extra), java.util.Map.of());
      Agent a = agents.start(1, List.of(1), extra);
      try (AutoCloseable probe = ProbeCompleter.startIfConfigured(a, config.exec())) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> a.local().decision() != null);
        Object first = a.local().decision();
        await("a fresh decision after the ready time-out")
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> a.local().decision() != null && a.local().decision() != first);
        assertThat(a.local().state()).isNotEqualTo(NodeState.FORMED);
      }
    }
  }
}
