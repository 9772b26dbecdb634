package io.muster.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.spi.NodeName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resetting the data of a node that never completed, and the record that says one did not. */
class NodeResetTest {

  @TempDir Path dir;

  private ExecSettings settings(String lines) {
    return AgentConfig.fromText("t.conf", "muster.node_name = rabbit@10.0.0.1\n" + lines, Map.of())
        .exec();
  }

  @Test
  void theNodesDataDirIsEmptiedButKeptAndLinksAreNotFollowed() throws Exception {
    Path data = Files.createDirectories(dir.resolve("var/lib/rabbitmq"));
    Files.createDirectories(data.resolve("mnesia/rabbit@host"));
    Files.writeString(data.resolve("mnesia/rabbit@host/schema.DAT"), "x");
    Files.writeString(data.resolve(".erlang.cookie"), "secret");
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "kept");
    Files.createSymbolicLink(data.resolve("link"), outside);

    assertThat(NodeReset.reset(settings("muster.node.data_dir = " + data + "\n"), Map.of(), "test"))
        .isTrue();

    assertThat(data).isEmptyDirectory();
    assertThat(outside.resolve("keep")).hasContent("kept");
  }

  @Test
  void theResetCommandRunsWithTheDecisionsEnvironment() throws Exception {
    Path out = dir.resolve("reset.out");
    Path script = dir.resolve("reset.sh");
    Files.writeString(script, "#!/bin/sh\necho \"$MUSTER_ACTION $MUSTER_NODE\" > " + out + "\n");
    assertThat(script.toFile().setExecutable(true)).isTrue();
    ExecSettings s = settings("muster.node.reset_command = " + script + "\n");
    assertThat(
            NodeReset.reset(
                s, Map.of("MUSTER_ACTION", "seed", "MUSTER_NODE", "rabbit@10.0.0.1"), "test"))
        .isTrue();
    assertThat(out).hasContent("seed rabbit@10.0.0.1");
  }

  @Test
  void aFailingResetCommandOrNoResetConfiguredIsReportedAsNotReset() {
    assertThat(NodeReset.reset(settings("muster.node.reset_command = false\n"), Map.of(), "test"))
        .isFalse();
    assertThat(NodeReset.reset(settings(""), Map.of(), "test")).isFalse();
  }

  @Test
  void bothWaysToResetOrAShallowDataDirAreRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> settings("muster.node.reset_command = true\nmuster.node.data_dir = /var/lib/x\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.node.data_dir")
        .hasMessageContaining("not both");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings("muster.node.data_dir = /\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("at least two levels deep");
  }

  @Test
  void aPublishedDecisionIsPendingUntilTheMembershipIsRecorded() {
    MembershipStore store = new MembershipStore(dir.resolve("muster"));
    NodeName self = NodeName.parse("rabbit@10.0.0.1");
    assertThat(store.pending()).isEmpty();
    store.writePending(new Decision.Seed(self, "c1"), Instant.EPOCH);
    assertThat(store.pending()).get().asString().contains("\"cluster_id\" : \"c1\"");
    store.write(new Membership(self, "c1", Set.of(self), Instant.EPOCH));
    assertThat(store.pending()).isEmpty();
  }
}
