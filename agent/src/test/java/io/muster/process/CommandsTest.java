package io.muster.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandsTest {

  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** True while {@code pid} runs; a reaped or zombie process is not running. */
  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private List<Long> pids(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(String::trim).map(Long::parseLong).toList();
  }

  @Test
  void exitCodeAndCombinedOutputAreReturned() {
    Commands.Result r =
        Commands.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Map.of(), BOUND);
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.timedOut()).isFalse();
    assertThat(r.ok()).isFalse();
    assertThat(r.output()).contains("out\n").contains("err\n");
    assertThat(r.tail()).isEqualTo("out\nerr");
  }

  @Test
  void zeroExitIsOk() {
    Commands.Result r = Commands.run(List.of("true"), Map.of(), BOUND);
    assertThat(r.ok()).isTrue();
    assertThat(r.exit()).isZero();
    assertThat(r.output()).isEmpty();
  }

  @Test
  void extraEnvironmentIsAddedToTheAgentsOwn() {
    Commands.Result r =
        Commands.run(
            List.of("sh", "-c", "printf '%s|%s' \"$MUSTER_X\" \"$PATH\""),
            Map.of("MUSTER_X", "value one"),
            BOUND);
    assertThat(r.output()).isEqualTo("value one|" + System.getenv("PATH"));
  }

  @Test
  void argumentWithShellMetacharactersIsPassedLiterally() {
    String nodeLike = "a;b$(x)`id`|c&&d>e*'\"";
    Commands.Result r = Commands.run(List.of("printf", "%s", nodeLike), Map.of(), BOUND);
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).isEqualTo(nodeLike);
  }

  @Test
  void injectedCommandInAnArgumentIsNeverRun() throws IOException {
    Path pwned = dir.resolve("pwned");
    Commands.Result r =
        Commands.run(
            List.of("echo", "rabbit@host;touch " + pwned, "$(touch " + pwned + ")"),
            Map.of(),
            BOUND);
    assertThat(r.ok()).isTrue();
    assertThat(pwned).doesNotExist();
    assertThat(r.output().trim())
        .isEqualTo("rabbit@host;touch " + pwned + " $(touch " + pwned + ")");
  }

  @Test
  void programThatCannotStartIsExitMinusOneNamingIt() {
    Commands.Result r =
        Commands.run(List.of(dir.resolve("no-such-program").toString()), Map.of(), BOUND);
    assertThat(r.exit()).isEqualTo(-1);
    assertThat(r.timedOut()).isFalse();
    assertThat(r.output()).startsWith("cannot start " + dir.resolve("no-such-program"));
  }

  @Test
  void outputIsBoundedTo64KiB() {
    Commands.Result r =
        Commands.run(List.of("sh", "-c", "yes 0123456789 | head -c 300000"), Map.of(), BOUND);
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).hasSize(64 * 1024).startsWith("0123456789\n");
  }

  @Test
  void timeoutKillsTheCommandAndEveryProcessItStarted() throws IOException {
    Path pids = dir.resolve("pids");
    Path tree = dir.resolve("tree.sh");
    // A child and a grandchild in the background, and the script itself in the foreground.
    Files.writeString(
        tree,
        "#!/bin/sh\n"
            + "sleep 30 &\n"
            + "echo $! >> "
            + pids
            + "\n"
            + "sh -c 'sleep 30 & echo $! >> "
            + pids
            + "; wait' &\n"
            + "echo $! >> "
            + pids
            + "\n"
            + "echo $$ >> "
            + pids
            + "\n"
            + "echo started\n"
            + "sleep 30\n");
    Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwx------"));

    long start = System.nanoTime();
    Commands.Result r = Commands.run(List.of(tree.toString()), Map.of(), Duration.ofSeconds(2));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(r.timedOut()).isTrue();
    assertThat(r.exit()).isEqualTo(-1);
    assertThat(r.ok()).isFalse();
    assertThat(r.output()).contains("started").contains("(timed out after 2000 ms)");
    assertThat(took).isLessThan(Duration.ofSeconds(15));
    assertThat(pids(pids)).hasSize(4);
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .untilAsserted(() -> assertThat(pids(pids)).noneMatch(CommandsTest::alive));
  }

  @Test
  void killTreeStopsAProcessThatIgnoresSigtermAfterTheGrace() throws Exception {
    Path ready = dir.resolve("ready");
    Process p =
        new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + ready + "; wait")
            .start();
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .until(() -> Files.exists(ready) && Files.size(ready) > 0);
    long grandchild = pids(ready).get(0);

    Processes.killTree(p.toHandle(), Duration.ofMillis(500));

    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> !alive(grandchild));
  }
}
