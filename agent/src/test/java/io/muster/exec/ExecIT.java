package io.muster.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.AgentApi;
import io.muster.testing.MusterExec;
import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code muster exec} end to end: the real CLI in its own JVM (so signals and exit codes are real),
 * a single classic_config node that seeds, and {@code sh -c} scripts as the server.
 */
class ExecIT {

  private static final Duration BOUND = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    // Whatever the scripts recorded, in case a failing test left it orphaned.
    for (String name : List.of("child.pid", "background.pid", "starts")) {
      if (Files.exists(file(name))) {
        for (String line : Files.readAllLines(file(name))) {
          if (!line.isBlank()) {
            ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(ProcessHandle::destroyForcibly);
          }
        }
      }
    }
  }

  private String config(String extra) {
    return "muster.node_name = rabbit@127.0.0.1\n"
        + "muster.api.port = 0\n"
        + "muster.peer.port = "
        + Ports.freeOnLoopbacks(1)
        + "\n"
        + "muster.data_dir = "
        + dir.resolve("data")
        + "\n"
        + "muster.stable_margin = 200ms\n"
        + "muster.peer.probe_timeout = 1s\n"
        + "cluster_formation.peer_discovery_backend = classic_config\n"
        + "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n"
        + "muster.allow_standalone = true\n"
        + "cluster_formation.discovery_retry_interval = 100\n"
        + "cluster_formation.discovery_retry_limit = 100\n"
        + extra;
  }

  /** Runs {@code muster exec --config F -- sh -c SCRIPT}; its output goes to muster.log. */
  private Process exec(String extraConfig, String script) throws IOException {
    Path conf = dir.resolve("muster.conf");
    Files.writeString(conf, config(extraConfig));
    Process p = MusterExec.start(conf, dir.resolve("muster.log"), "sh", "-c", script);
    started.add(p);
    return p;
  }

  private String log() throws IOException {
    Path f = dir.resolve("muster.log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private Path file(String name) {
    return dir.resolve(name);
  }

  /** Shell lines that publish the child's environment and pid, complete (write, then rename). */
  private String recordEnvAndPid() {
    return "env > "
        + file("env.tmp")
        + " && mv "
        + file("env.tmp")
        + " "
        + file("env")
        + "\necho $$ > "
        + file("child.pid")
        + "\n";
  }

  private Map<String, String> childEnv() throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file("env"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }

  private int apiPort() throws IOException {
    await().atMost(Timing.scaled(BOUND)).until(() -> Files.exists(file("env")));
    String api = childEnv().get("MUSTER_API");
    return Integer.parseInt(api.substring(api.lastIndexOf(':') + 1));
  }

  private void awaitFormed(Process muster) throws IOException {
    int port = apiPort();
    await()
        .atMost(Timing.scaled(BOUND))
        .ignoreExceptions()
        .until(
            () -> {
              assertThat(muster.isAlive()).as("muster exec is running").isTrue();
              return "formed"
                  .equals(AgentApi.status(port).getJsonObject("formation").getString("state"));
            });
  }

  private int exitOf(Process muster) throws Exception {
    assertThat(muster.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS))
        .as("muster exec ended; log:\n%s", log())
        .isTrue();
    return muster.exitValue();
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private long pid(String name) throws IOException {
    return Long.parseLong(Files.readString(file(name)).trim());
  }

  @Test
  void childSeesTheSeedDecisionInItsEnvironment() throws Exception {
    Process muster = exec("", recordEnvAndPid());

    await().atMost(Timing.scaled(BOUND)).until(() -> Files.exists(file("env")));
    Map<String, String> env = childEnv();
    assertThat(env)
        .containsEntry("MUSTER_ACTION", "seed")
        .containsEntry("MUSTER_SEED", "rabbit@127.0.0.1")
        .containsEntry("MUSTER_PEERS", "")
        .containsEntry("MUSTER_NODE", "rabbit@127.0.0.1");
    assertThat(env.get("MUSTER_CLUSTER_ID")).isNotBlank();
    assertThat(env.get("MUSTER_API")).matches("http://127\\.0\\.0\\.1:[1-9][0-9]*");
    // where RabbitMQ's wrapper compiles muster_peer_discovery when no ebin/ is shipped
    assertThat(env).containsEntry("MUSTER_DATA_DIR", dir.resolve("data").toString());
    assertThat(env).doesNotContainKey("MUSTER_API_TOKEN_FILE"); // none configured
    // The child ended by itself (status 0) before completing formation: muster fails.
    assertThat(exitOf(muster)).isEqualTo(1);
  }

  @Test
  void sigtermIsForwardedToTheReadyChildAndMusterExitsWithItsStatusLeavingNothingBehind()
      throws Exception {
    String script =
        "trap 'echo TERM > "
            + file("trapped")
            + "; exit 7' TERM\n"
            + "sleep 300 &\n"
            + "echo $! > "
            + file("background.pid")
            + "\n"
            + recordEnvAndPid()
            + "touch "
            + file("ready")
            + "\n"
            + "wait\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("ready")
                + "\nmuster.exec.ready.interval = 100\n"
                // Processes the child leaves behind get the rest of this time-out to end.
                + "muster.exec.stop_timeout = 3\n",
            script);
    awaitFormed(muster);
    // issue 19: what muster exec did with its child is counted for Prometheus
    assertThat(AgentApi.get(apiPort(), "/metrics"))
        .contains("muster_exec_total{event=\"started\"} 1.0")
        .contains("muster_exec_total{event=\"ready\"} 1.0");
    List<ProcessHandle> descendants = muster.descendants().toList();
    assertThat(descendants).extracting(ProcessHandle::pid).contains(pid("child.pid"));

    muster.destroy(); // SIGTERM

    assertThat(exitOf(muster)).isEqualTo(7);
    assertThat(file("trapped")).exists();
    List<Long> pids = new ArrayList<>(descendants.stream().map(ProcessHandle::pid).toList());
    pids.add(pid("background.pid"));
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .untilAsserted(() -> assertThat(pids).noneMatch(ExecIT::alive));
  }

  /**
   * Issue 19: the child exits on SIGTERM but leaves a background job that never heard it. That job
   * is asked to stop as soon as the child has gone; before, muster exec sat out the whole stop
   * time-out (120 s here) first.
   */
  @Test
  void whatTheChildLeftRunningIsStoppedAsSoonAsTheChildExits() throws Exception {
    String script =
        "trap 'exit 0' TERM\nsleep 300 &\necho $! > "
            + file("background.pid")
            + "\n"
            + recordEnvAndPid()
            + "wait\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("never")
                + "\nmuster.exec.stop_timeout = 120\n",
            script);
    await().atMost(Timing.scaled(BOUND)).until(() -> Files.exists(file("background.pid")));
    long background = pid("background.pid");
    long sent = System.nanoTime();

    muster.destroy();

    assertThat(exitOf(muster)).isZero(); // within BOUND (60 s), half the stop time-out
    assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(60));
    assertThat(alive(background)).isFalse();
    assertThat(log()).contains("asking what it left running to stop now");
  }

  @Test
  void sigtermBeforeReadinessIsForwardedToo() throws Exception {
    String script = "trap 'exit 7' TERM\n" + recordEnvAndPid() + "sleep 300 &\nwait\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("never")
                + "\nmuster.exec.stop_timeout = 3\n",
            script);
    await().atMost(Timing.scaled(BOUND)).until(() -> Files.exists(file("child.pid")));
    long child = pid("child.pid");

    muster.destroy();

    assertThat(exitOf(muster)).isEqualTo(7);
    await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> !alive(child));
  }

  @ParameterizedTest(name = "child exits {0} -> muster exits {1}")
  @CsvSource({"3, 3", "0, 1"})
  void childEndingByItselfAfterReadinessEndsMusterWithItsStatusButNeverZero(
      int childStatus, int musterStatus) throws Exception {
    String script =
        recordEnvAndPid()
            + "touch "
            + file("ready")
            + "\n"
            + "while [ ! -e "
            + file("go")
            + " ]; do sleep 0.1; done\n"
            + "exit "
            + childStatus
            + "\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("ready")
                + "\nmuster.exec.ready.interval = 100\n",
            script);
    awaitFormed(muster);

    Files.createFile(file("go"));

    assertThat(exitOf(muster)).isEqualTo(musterStatus);
    assertThat(log()).contains("exited while running with status " + childStatus);
  }

  @Test
  void childDyingByItselfLeavesNoProcessOfItsOwnBehind() throws Exception {
    String script =
        "sleep 300 &\n"
            + "echo $! > "
            + file("background.pid")
            + "\n"
            + recordEnvAndPid()
            + "touch "
            + file("ready")
            + "\n"
            + "while [ ! -e "
            + file("go")
            + " ]; do sleep 0.1; done\n"
            + "exit 3\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("ready")
                + "\nmuster.exec.ready.interval = 100\n",
            script);
    awaitFormed(muster);
    long background = pid("background.pid");

    Files.createFile(file("go"));

    try {
      assertThat(exitOf(muster)).isEqualTo(3);
      await().atMost(Timing.scaled(Duration.ofSeconds(10))).until(() -> !alive(background));
    } finally {
      ProcessHandle.of(background).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void childNeverReadyIsRestartedUpToTheAttemptsThenMusterExitsOne() throws Exception {
    String script = "echo $$ >> " + file("starts") + "\nexec sleep 300\n";
    Process muster =
        exec(
            "muster.exec.ready.command = test -e "
                + file("never")
                + "\nmuster.exec.ready.timeout = 1\nmuster.exec.ready.attempts = 2\n"
                + "muster.exec.ready.interval = 100\nmuster.exec.stop_timeout = 5\n",
            script);

    assertThat(exitOf(muster)).isEqualTo(1);
    List<String> starts = Files.readAllLines(file("starts"));
    assertThat(starts).as("one line per start; log:\n%s", log()).hasSize(2);
    for (String pid : starts) {
      assertThat(alive(Long.parseLong(pid.trim()))).as("child %s still running", pid).isFalse();
    }
    assertThat(log()).contains("never became ready in 2 attempts");
  }

  @Test
  void renderedFileExistsBeforeTheChildStarts() throws Exception {
    Path rendered = file("out/peers.txt");
    String script =
        "cat "
            + rendered
            + " > "
            + file("seen.tmp")
            + " && mv "
            + file("seen.tmp")
            + " "
            + file("seen")
            + "\n";
    Process muster =
        exec(
            "muster.render.1.template = builtin:plain\nmuster.render.1.destination = "
                + rendered
                + "\n",
            script);

    await().atMost(Timing.scaled(BOUND)).until(() -> Files.exists(file("seen")));
    assertThat(Files.readString(file("seen"))).isEqualTo("rabbit@127.0.0.1\n");
    assertThat(exitOf(muster)).isEqualTo(1);
  }
}
