package io.muster.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.MusterExec;
import io.muster.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24, consul-template's {@code -exec-reload-signal}. SIGUSR1, not SIGHUP: a test run under
 * {@code nohup} hands its children SIGHUP ignored, which a shell then cannot trap (the agent warns
 * of that; {@code ExecSettingsTest} checks the warning's test). {@code muster.exec.reload_signal}
 * goes to the running child when a rendered file's content changes (here: a younger declarative
 * config adds a node, so the peer list the file holds grows), and not for the first render, which
 * the child reads as it starts.
 */
class ReloadSignalIT {

  @TempDir Path dir;

  @Test
  void aRenderedFileThatChangesWhileTheChildRunsSendsItTheReloadSignal() throws Exception {
    int[] ports = Ports.distinct(2, 1);
    int api = ports[0];
    int peer = ports[1];
    Path nodes = dir.resolve("nodes.txt");
    Path conf = dir.resolve("exec.conf");
    Files.writeString(
        conf,
        "muster.node_name = rabbit@127.0.0.1\nmuster.mode = declarative\nmuster.api.port = "
            + api
            + "\nmuster.peer.port = "
            + peer
            + "\nmuster.data_dir = "
            + dir.resolve("data")
            + "\nclusterer.version = 1\nclusterer.nodes.1 = rabbit@127.0.0.1\n"
            + "clusterer.gospel.node = rabbit@127.0.0.1\n"
            + "cluster_formation.discovery_retry_interval = 100\n"
            + "muster.discovery.poll_interval = 30s\nmuster.render.wait = 100ms\n"
            + "muster.render.1.template = builtin:plain\nmuster.render.1.destination = "
            + nodes
            + "\nmuster.exec.reload_signal = USR1\nmuster.exec.ready.command = true\n");
    Path hups = dir.resolve("hups");
    Path started = dir.resolve("started");
    Process exec =
        MusterExec.start(
            conf,
            dir.resolve("exec.log"),
            "sh",
            "-c",
            "trap 'cat "
                + nodes
                + " | wc -l >> "
                + hups
                + "' USR1; echo up > "
                + started
                + "; while :; do sleep 0.1; done");
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(started));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> Files.readString(dir.resolve("exec.log")).contains("is running as a member"));
      // the first render came before the child started: no signal for it (a later read of the
      // peer list that changes the file does signal, which is the point)
      String before = Files.readString(dir.resolve("exec.log"));
      int signalled = before.indexOf("changed: sending SIGUSR1");
      assertThat(signalled == -1 || signalled > before.indexOf("Started [sh")).isTrue();

      HttpResponse<String> v2 =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + api + "/v1/cluster-config"))
                      .PUT(
                          HttpRequest.BodyPublishers.ofString(
                              "[{version, 2}, {nodes, ['rabbit@127.0.0.1', 'rabbit@127.0.0.2']},"
                                  + " {gospel, {node, 'rabbit@127.0.0.1'}}]."))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);

      // the child, signalled, counts the lines the file holds: the new node is in it already
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(Files.exists(hups) ? Files.readAllLines(hups) : List.of())
                      .last()
                      .isEqualTo("2"));
      // one signal per change of the file (two sent within one of the child's sleeps arrive
      // as one, as POSIX signals do)
      String after = Files.readString(dir.resolve("exec.log"));
      assertThat(after.split("changed: sending SIGUSR1 to sh", -1).length - 1)
          .isGreaterThanOrEqualTo(Files.readAllLines(hups).size());
      assertThat(after).contains("as muster.exec.reload_signal asks");
    } finally {
      exec.destroy();
      if (!exec.waitFor(60, TimeUnit.SECONDS)) {
        exec.destroyForcibly();
      }
    }
  }
}
