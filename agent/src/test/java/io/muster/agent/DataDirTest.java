package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** formation.md step 2: the data dir is locked against a second agent and keeps the instance id. */
class DataDirTest {

  @TempDir Path tmp;

  @Test
  void aSecondAgentOnTheSameDataDirIsRefusedNamingTheHolder() {
    Path dir = tmp.resolve("data");
    try (DataDir first = DataDir.open(dir, "test.conf:3", "muster.data_dir")) {
      assertThatThrownBy(() -> DataDir.open(dir, "test.conf:3", "muster.data_dir"))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("test.conf:3: muster.data_dir")
          .hasMessageContaining("locked by another agent (pid " + ProcessHandle.current().pid());
    }
    // released on close: the next agent takes it
    try (DataDir again = DataDir.open(dir, "test.conf:3", "muster.data_dir")) {
      assertThat(again.dir()).isEqualTo(dir);
    }
  }

  @Test
  void theInstanceIdSurvivesARestartAndAnUnreadableOneIsReplaced() throws Exception {
    Path dir = tmp.resolve("data");
    String id;
    try (DataDir d = DataDir.open(dir, "x", "muster.data_dir")) {
      id = d.instanceId();
    }
    try (DataDir d = DataDir.open(dir, "x", "muster.data_dir")) {
      assertThat(d.instanceId()).isEqualTo(id);
    }
    Files.writeString(dir.resolve(DataDir.INSTANCE_FILE), "$(rm -rf /)\n");
    try (DataDir d = DataDir.open(dir, "x", "muster.data_dir")) {
      assertThat(d.instanceId()).isNotEqualTo(id).matches("[0-9a-f-]{36}");
    }
  }

  @Test
  void aDataDirThatCannotBeCreatedIsAConfigProblem() throws Exception {
    Path file = tmp.resolve("plain-file");
    Files.writeString(file, "x");
    assertThatThrownBy(() -> DataDir.open(file.resolve("data"), "test.conf:9", "muster.data_dir"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("test.conf:9: muster.data_dir")
        .hasMessageContaining("cannot be used");
  }
}
