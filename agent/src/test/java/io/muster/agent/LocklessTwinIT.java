package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.config.ConfigException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * formation.md step 2 on a lockless backend (issue 18, defect 6): names are unique. There is no
 * registration to make them so; a second agent for a node name already in use cannot bind that
 * node's peer port, and the agent answering there under the same name is named in its exit-2 error.
 * Before, it failed with a bare "address already in use" (exit 1) that did not say a twin held the
 * name.
 */
class LocklessTwinIT {

  @TempDir Path dir;

  @Test
  void aSecondAgentOfOneNodeNameIsExitTwoNamingTheAgentThatAnswersForIt() {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent first = agents.start(1, List.of(1, 2), "");
      // the same name on another data dir: a cloned host, a second sidecar by mistake
      String twin =
          agents
              .configText(1, List.of(1, 2), "")
              .replace(dir.resolve("n1").toString(), dir.resolve("twin").toString());
      assertThatThrownBy(() -> Agent.start(AgentConfig.fromText("twin.conf", twin, Map.of())))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("twin.conf:1: muster.node_name")
          .hasMessageContaining("already answers for rabbit@127.0.0.1")
          .hasMessageContaining("two agents of one name");
      assertThat(first.local().info().node().toString()).isEqualTo("rabbit@127.0.0.1");
    }
  }
}
