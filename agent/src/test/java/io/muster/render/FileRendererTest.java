package io.muster.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.exec.ExecSettings;
import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRendererTest {

  private static final NodeName A = NodeName.parse("rabbit@node-a");
  private static final NodeName B = NodeName.parse("rabbit@node-b");
  private static final NodeName C = NodeName.parse("rabbit@node-c");

  @TempDir Path dir;
  private Path out;
  private Path dest;
  private Path runs;
  private Path countRuns;

  @BeforeEach
  void setUp() throws IOException {
    out = Files.createDirectories(dir.resolve("out"));
    dest = out.resolve("nodes.txt");
    runs = dir.resolve("runs.txt");
    countRuns = script("count.sh", "echo \"$MUSTER_RENDERED_FILE\" >> " + runs + "\n");
  }

  /** An executable script in the temporary directory (commands run without a shell). */
  private Path script(String name, String body) throws IOException {
    Path s = dir.resolve(name);
    Files.writeString(s, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
    return s;
  }

  private long commandRuns() throws IOException {
    return Files.exists(runs) ? Files.readAllLines(runs).size() : 0;
  }

  private FileRenderer renderer(String template, Path command) {
    RenderSettings settings =
        new RenderSettings(
            List.of(
                new RenderSettings.Item(
                    1,
                    template,
                    Template.load(template),
                    dest,
                    Optional.ofNullable(command).map(c -> List.of(c.toString())))),
            Duration.ZERO,
            Duration.ofSeconds(30));
    return new FileRenderer(
        settings, A, "classic_config", ExecSettings.READY_TIMEOUT.defaultValue());
  }

  private static PeerView.Snapshot view(long index, NodeName... peers) {
    return new PeerView.Snapshot(
        List.of(peers), List.of(peers), false, index, true, null, null, null);
  }

  private static PeerView.Snapshot stale(long index, NodeName... peers) {
    return new PeerView.Snapshot(
        List.of(peers), List.of(peers), true, index, true, null, "backend timed out", null);
  }

  private static JsonObject onlyStatus(FileRenderer r) {
    assertThat(r.status()).hasSize(1);
    return r.status().getJsonObject(0);
  }

  @Test
  void rendersTheFileAndRunsTheCommandWithTheFileInItsEnvironment() throws IOException {
    FileRenderer r = renderer("builtin:plain", countRuns);

    assertThat(r.render(view(2, A, B), null)).isTrue();

    assertThat(Files.readString(dest)).isEqualTo("rabbit@node-a\nrabbit@node-b\n");
    assertThat(Files.readAllLines(runs)).containsExactly(dest.toString());
    JsonObject s = onlyStatus(r);
    assertThat(s.getString("last_result")).isEqualTo("written; command ok");
    assertThat(s.getLong("peer_list_index")).isEqualTo(2);
    assertThat(s.getString("template")).isEqualTo("builtin:plain");
    assertThat(s.getString("destination")).isEqualTo(dest.toString());
  }

  @Test
  void atomicWriteLeavesNoTemporaryFilesBehind() throws IOException {
    FileRenderer r = renderer("builtin:plain", null);
    r.render(view(2, A), null);
    r.render(view(3, A, B), null);
    r.render(view(4, A, B, C), null);

    try (Stream<Path> files = Files.list(out)) {
      assertThat(files).containsExactly(dest);
    }
    assertThat(Files.readString(dest)).isEqualTo("rabbit@node-a\nrabbit@node-b\nrabbit@node-c\n");
  }

  @Test
  void newFileGetsMode644AndAReplacedFileKeepsItsMode() throws IOException {
    FileRenderer r = renderer("builtin:plain", null);
    r.render(view(2, A), null);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-r--r--");

    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rw-rw----"));
    r.render(view(3, A, B), null);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)))
        .isEqualTo("rw-rw----");
  }

  @Test
  void missingDestinationDirectoryIsCreated() throws IOException {
    Path nested = out.resolve("a/b/nodes.txt");
    RenderSettings settings =
        new RenderSettings(
            List.of(
                new RenderSettings.Item(
                    1, "builtin:plain", Template.load("builtin:plain"), nested, Optional.empty())),
            Duration.ZERO,
            Duration.ofSeconds(30));
    new FileRenderer(settings, A, "classic_config", ExecSettings.READY_TIMEOUT.defaultValue())
        .render(view(2, A), null);
    assertThat(Files.readString(nested)).isEqualTo("rabbit@node-a\n");
  }

  @Test
  void unchangedContentRunsNoCommand() throws IOException {
    FileRenderer r = renderer("builtin:plain", countRuns);
    r.render(view(2, A, B), null);
    // A new index (e.g. a stale flag that cleared) with the same peers renders the same text.
    r.render(view(3, A, B), null);
    r.render(view(4, A, B), new Decision.Seed(A, "c"));

    assertThat(commandRuns()).isEqualTo(1);
    assertThat(onlyStatus(r).getString("last_result")).isEqualTo("unchanged");

    r.render(view(5, A, B, C), null);
    assertThat(commandRuns()).isEqualTo(2);
  }

  @Test
  void fileAlreadyHoldingTheRenderedContentIsNotRewrittenAndRunsNoCommand() throws IOException {
    Files.writeString(dest, "rabbit@node-a\n");
    FileRenderer r = renderer("builtin:plain", countRuns);
    r.render(view(2, A), null);
    assertThat(commandRuns()).isZero();
    assertThat(onlyStatus(r).getString("last_result")).isEqualTo("unchanged");
  }

  @Test
  void staleViewNeverOverwritesTheFile() throws IOException {
    FileRenderer r = renderer("builtin:plain", countRuns);
    r.render(view(2, A, B), null);

    assertThat(r.render(stale(3, A, B, C), new Decision.Seed(A, "c"))).isTrue();

    assertThat(Files.readString(dest)).isEqualTo("rabbit@node-a\nrabbit@node-b\n");
    assertThat(commandRuns()).isEqualTo(1);
    assertThat(onlyStatus(r).getString("last_result"))
        .startsWith("skipped: the peer list is stale")
        .contains("backend timed out");
  }

  @Test
  void staleViewWritesNoFileAtAll() throws IOException {
    FileRenderer r = renderer("builtin:plain", countRuns);
    r.render(stale(3, A, B), new Decision.Seed(A, "c"));
    assertThat(dest).doesNotExist();
    assertThat(commandRuns()).isZero();
  }

  @Test
  void decisionTemplateIsRenderedOnAStaleListAndCountsAsReadyOnlyForItsDecision()
      throws IOException {
    FileRenderer r = renderer("builtin:rabbitmq", null);
    Decision join = new Decision.Join(B, List.of(B), "c");
    assertThat(r.readyFor(join)).as("nothing written yet").isFalse();

    assertThat(r.render(stale(3, A, B), join)).isTrue();

    assertThat(Files.readString(dest)).contains("cluster_formation.classic_config.nodes.1 = " + B);
    assertThat(r.readyFor(join)).isTrue();
    assertThat(r.readyFor(new Decision.Seed(A, "d"))).as("another decision").isFalse();
  }

  @Test
  void peerListTemplateSkippedOnAStaleListIsNotReady() throws IOException {
    FileRenderer r = renderer("builtin:plain", null);
    Decision seed = new Decision.Seed(A, "c");
    r.render(stale(3, A, B), seed);
    assertThat(r.readyFor(seed)).isFalse();
    r.render(view(4, A, B), seed);
    assertThat(r.readyFor(seed)).isTrue();
  }

  @Test
  void temporaryFilesLeftByAKilledWriteAreRemovedAtTheFirstRender() throws IOException {
    Path leftover = out.resolve("." + dest.getFileName() + "123456.tmp");
    Files.writeString(leftover, "half a fi");
    Path unrelated = out.resolve(".other.conf123.tmp");
    Files.writeString(unrelated, "not ours");
    FileRenderer r = renderer("builtin:plain", null);
    r.render(view(2, A), null);
    assertThat(leftover).doesNotExist();
    assertThat(unrelated).exists();
  }

  @Test
  void noPeersAndNoDecisionWritesNothing() throws IOException {
    FileRenderer r = renderer("builtin:plain", countRuns);
    assertThat(r.render(view(1), null)).isTrue();
    assertThat(dest).doesNotExist();
    assertThat(commandRuns()).isZero();
    assertThat(onlyStatus(r).getString("last_result"))
        .isEqualTo("skipped: no peers known and no decision yet");
  }

  @Test
  void blankRenderNeverOverwritesANonBlankFile() throws IOException {
    Files.writeString(dest, "node-a\nnode-b\n");
    // A seed with an empty peer list renders blank hosts for elasticsearch.
    FileRenderer r = renderer("builtin:elasticsearch", countRuns);

    assertThat(r.render(view(2), new Decision.Seed(A, "c"))).isTrue();

    assertThat(Files.readString(dest)).isEqualTo("node-a\nnode-b\n");
    assertThat(commandRuns()).isZero();
    assertThat(onlyStatus(r).getString("last_result")).isEqualTo("skipped: render came out empty");
  }

  @Test
  void blankRenderIsWrittenWhenThereIsNoFileYet() throws IOException {
    FileRenderer r = renderer("builtin:elasticsearch", null);
    r.render(view(2), new Decision.Seed(A, "c"));
    assertThat(dest).exists().isEmptyFile();
  }

  @Test
  void failingCommandIsReportedInStatusAndRunsAgainOnTheNextChange() throws IOException {
    Path failing = script("fail.sh", "echo run >> " + runs + "\necho reload refused\nexit 3\n");
    FileRenderer r = renderer("builtin:plain", failing);

    assertThat(r.render(view(2, A), null)).isTrue();
    assertThat(onlyStatus(r).getString("last_result"))
        .isEqualTo("written; command failed (exit 3)");

    r.render(view(3, A, B), null);
    assertThat(commandRuns()).isEqualTo(2);
  }

  @Test
  void unwritableDestinationIsAFailureNotAnException() throws IOException {
    Path blocker = out.resolve("file-not-dir");
    Files.writeString(blocker, "x");
    RenderSettings settings =
        new RenderSettings(
            List.of(
                new RenderSettings.Item(
                    1,
                    "builtin:plain",
                    Template.load("builtin:plain"),
                    blocker.resolve("nodes.txt"),
                    Optional.empty())),
            Duration.ZERO,
            Duration.ofSeconds(30));
    FileRenderer r =
        new FileRenderer(settings, A, "classic_config", ExecSettings.READY_TIMEOUT.defaultValue());
    assertThat(r.render(view(2, A), null)).isFalse();
    assertThat(onlyStatus(r).getString("last_result")).startsWith("failed: cannot write");
  }

  @Test
  void statusBeforeAnyRenderSaysNotRenderedYet() {
    FileRenderer r = renderer("builtin:plain", countRuns);
    JsonObject s = onlyStatus(r);
    assertThat(s.getString("last_result")).isEqualTo("not rendered yet");
    assertThat(s.getString("command")).isEqualTo(List.of(countRuns.toString()).toString());
    assertThat(r.enabled()).isTrue();
  }

  @Test
  void noItemsMeansDisabled() {
    FileRenderer r =
        new FileRenderer(
            new RenderSettings(List.of(), Duration.ZERO, Duration.ofSeconds(1)),
            A,
            "x",
            ExecSettings.READY_TIMEOUT.defaultValue());
    assertThat(r.enabled()).isFalse();
    assertThat(r.status()).isEmpty();
  }
}
