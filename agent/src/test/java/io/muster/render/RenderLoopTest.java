package io.muster.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.exec.ExecSettings;
import io.muster.formation.PeerView;
import io.muster.formation.engine.LocalNode;
import io.muster.spi.NodeName;
import io.muster.testing.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderLoopTest {

  private static final NodeName SELF = NodeName.parse("rabbit@node-0");
  private static final Duration WAIT = Duration.ofMillis(300);

  @TempDir Path dir;
  private Path dest;
  private Path runs;
  private PeerView view;
  private LocalNode local;
  private RenderLoop loop;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void setUp() throws IOException {
    dest = dir.resolve("nodes.txt");
    runs = dir.resolve("runs.txt");
    Path count = dir.resolve("count.sh");
    // Records the file's content at each run, so a run shows which peer list it saw.
    Files.writeString(
        count,
        "#!/bin/sh\ntr '\\n' ' ' < \"$MUSTER_RENDERED_FILE\" >> "
            + runs
            + "\necho >> "
            + runs
            + "\n");
    Files.setPosixFilePermissions(count, PosixFilePermissions.fromString("rwx------"));
    RenderSettings settings =
        new RenderSettings(
            List.of(
                new RenderSettings.Item(
                    1,
                    "builtin:plain",
                    Template.load("builtin:plain"),
                    dest,
                    Optional.of(List.of(count.toString())))),
            WAIT,
            Duration.ofSeconds(30));
    view = new PeerView(Clock.systemUTC());
    local = new LocalNode(SELF, Clock.systemUTC());
    loop =
        new RenderLoop(
            new FileRenderer(
                settings, SELF, "classic_config", ExecSettings.READY_TIMEOUT.defaultValue()),
            view,
            local,
            WAIT);
  }

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
    loop.close();
  }

  private List<String> runs() throws IOException {
    return Files.exists(runs) ? Files.readAllLines(runs) : List.of();
  }

  /** Peers node-0 .. node-n. */
  private static List<NodeName> peers(int n) {
    List<NodeName> out = new ArrayList<>();
    for (int i = 0; i <= n; i++) {
      out.add(NodeName.parse("rabbit@node-" + i));
    }
    return out;
  }

  private static String line(int n) {
    StringBuilder b = new StringBuilder();
    for (NodeName p : peers(n)) {
      b.append(p).append(' ');
    }
    return b.toString();
  }

  @Test
  void burstOfPeerChangesRendersOnce() throws IOException {
    loop.start();
    for (int n = 1; n <= 5; n++) {
      view.success(peers(n));
    }

    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> runs().size() == 1);
    // Nothing else comes: the burst stays one render (checked over several quiescence periods).
    await()
        .during(WAIT.multipliedBy(4))
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .untilAsserted(() -> assertThat(runs()).containsExactly(line(5)));
    assertThat(Files.readAllLines(dest)).hasSize(6);
  }

  @Test
  void burstSpreadOverLongerThanOneWaitStillRendersOnceAfterTheLastChange() throws IOException {
    loop.start();
    // Five changes 150 ms apart: each gap is shorter than the 300 ms wait, and the whole burst
    // (600 ms) is inside the 4x cap, so the documented behaviour is one render after the last.
    for (int n = 1; n <= 5; n++) {
      List<NodeName> p = peers(n);
      scheduler.schedule(() -> view.success(p), 150L * (n - 1), TimeUnit.MILLISECONDS);
    }

    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> runs().contains(line(5)));
    await()
        .during(WAIT.multipliedBy(4))
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .untilAsserted(() -> assertThat(runs()).containsExactly(line(5)));
  }

  @Test
  void changeAfterARenderRendersAgain() throws IOException {
    loop.start();
    view.success(peers(1));
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> runs().size() == 1);

    view.success(peers(2));
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> runs().size() == 2);
    assertThat(runs()).containsExactly(line(1), line(2));
  }

  @Test
  void decisionRendersWhenSignalled() throws IOException {
    loop.start();
    local.decideSeed("cluster-1");
    loop.signal();
    // Only the local node is known: the decision alone makes the file worth writing.
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> Files.exists(dest));
    assertThat(Files.readString(dest)).isEmpty();
  }

  @Test
  void nothingIsRenderedWithoutPeersOrADecision() throws IOException {
    loop.start();
    await()
        .during(Duration.ofMillis(1500))
        .atMost(Timing.scaled(Duration.ofSeconds(5)))
        .until(() -> !Files.exists(dest) && runs().isEmpty());
  }

  @Test
  void renderNowWritesAtOnceWithoutWaiting() throws IOException {
    view.success(peers(2));
    assertThat(loop.renderNow()).isTrue();
    assertThat(Files.readAllLines(dest)).containsExactly(line(2).trim().split(" "));
    assertThat(runs()).containsExactly(line(2));
  }

  @Test
  void closeStopsTheLoopSoLaterChangesAreNotRendered() throws IOException {
    loop.start();
    view.success(peers(1));
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> runs().size() == 1);
    loop.close();

    view.success(peers(3));
    await()
        .during(WAIT.multipliedBy(4))
        .atMost(Timing.scaled(Duration.ofSeconds(5)))
        .until(() -> runs().size() == 1);
  }
}
