package io.muster.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.exec.ExecSettings;
import io.muster.formation.PeerView;
import io.muster.spi.NodeName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24, consul-template's per-file {@code perms}, {@code user}/{@code group} and {@code
 * backup}: {@code muster.render.N.mode}, {@code .owner}, {@code .group}, {@code .backup}, read from
 * config (bad values exit 2 with the key) and applied to every write.
 */
class FileAttributesTest {

  private static final NodeName A = NodeName.parse("rabbit@node-a");
  private static final NodeName B = NodeName.parse("rabbit@node-b");

  @TempDir Path dir;

  private RenderSettings settings(String extra) {
    return AgentConfig.fromText(
            "render.conf",
            "muster.node_name = rabbit@node-a\nmuster.data_dir = "
                + dir.resolve("data")
                + "\ncluster_formation.classic_config.nodes.1 = rabbit@node-a\n"
                + "muster.render.1.template = builtin:plain\nmuster.render.1.destination = "
                + dir.resolve("nodes.txt")
                + "\n"
                + extra,
            Map.of())
        .render();
  }

  private static PeerView.Snapshot view(NodeName... peers) {
    return new PeerView.Snapshot(List.of(peers), List.of(peers), false, 1, true, null, null, null);
  }

  private FileRenderer renderer(RenderSettings s) {
    return new FileRenderer(s, A, "classic_config", ExecSettings.READY_TIMEOUT.defaultValue());
  }

  @Test
  void anExplicitModeIsAppliedToEveryWriteAndTheBackupKeepsThePreviousContent() throws Exception {
    FileRenderer r =
        renderer(settings("muster.render.1.mode = 0640\nmuster.render.1.backup = true\n"));
    Path dest = dir.resolve("nodes.txt");
    List<Path> written = new ArrayList<>();
    r.onWritten(written::add);
    assertThat(r.render(view(A), null)).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r-----");
    assertThat(dir.resolve("nodes.txt.bak")).doesNotExist(); // nothing to keep the first time
    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rw-rw-rw-"));

    assertThat(r.render(view(A, B), null)).isTrue();
    assertThat(Files.readString(dest)).isEqualTo("rabbit@node-a\nrabbit@node-b\n");
    assertThat(Files.readString(dir.resolve("nodes.txt.bak"))).isEqualTo("rabbit@node-a\n");
    // the mode asked for wins over what the file had meanwhile, and protects the backup too
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r-----");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("nodes.txt.bak"))))
        .isEqualTo("rw-r-----");
    // told once per change, not for a render that changes nothing
    assertThat(r.render(view(A, B), null)).isTrue();
    assertThat(written).containsExactly(dest, dest);
  }

  @Test
  void withoutAModeAFileKeepsItsOwnAndANewOneGets0644() throws Exception {
    FileRenderer r = renderer(settings(""));
    Path dest = dir.resolve("nodes.txt");
    r.render(view(A), null);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r--r--");
    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rw-------"));
    r.render(view(A, B), null);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-------");
    assertThat(dir.resolve("nodes.txt.bak")).doesNotExist();
  }

  @Test
  void asRootTheOwnerAndGroupAskedForAreSet() throws Exception {
    assumeTrue(FileAttributes.uid() == 0, "sets owners only as root; this runs as another user");
    FileRenderer r =
        renderer(settings("muster.render.1.owner = nobody\nmuster.render.1.group = 65534\n"));
    Path dest = dir.resolve("nodes.txt");
    r.render(view(A), null);
    assertThat(Files.getOwner(dest).getName()).isEqualTo("nobody");
    assertThat(Files.getAttribute(dest, "unix:gid")).isEqualTo(65534);
  }

  @Test
  void badValuesAreConfigErrorsNamingTheKey() {
    assertThatThrownBy(() -> settings("muster.render.1.mode = 0999\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("render.conf:6")
        .hasMessageContaining("muster.render.1.mode")
        .hasMessageContaining("octal file mode");
    assertThatThrownBy(() -> settings("muster.render.1.owner = no-such-user-here\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.render.1.owner")
        .hasMessageContaining("no user no-such-user-here");
    assertThatThrownBy(() -> settings("muster.render.1.group = 'rm -rf'\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.render.1.group");
    assertThatThrownBy(() -> settings("muster.render.2.backup = true\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.render.2.template as well");
  }
}
