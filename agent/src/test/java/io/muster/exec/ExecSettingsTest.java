package io.muster.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.agent.AgentKeys;
import io.muster.backend.Backends;
import io.muster.config.ConfigException;
import io.muster.config.ConfigLoader;
import io.muster.config.ConfigProblem;
import io.muster.spi.InvalidSettingException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExecSettingsTest {

  @TempDir Path dir;

  private static ExecSettings settings(String text) {
    return ExecSettings.from(
        new ConfigLoader(Backends.load().catalogue(AgentKeys.ALL))
            .loadText("e.conf", text, Map.of()));
  }

  @Test
  void defaultsAreNoProbeFiveMinutesThreeAttemptsAndJoinImmediately() {
    ExecSettings s = settings("");
    assertThat(s.probe()).isEmpty();
    assertThat(s.readyTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(s.readyInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.attempts()).isEqualTo(3);
    assertThat(s.stopTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.joinWhen()).isEqualTo(ExecSettings.JoinWhen.IMMEDIATELY);
  }

  @Test
  void everySettingIsRead() {
    ExecSettings s =
        settings(
            "muster.exec.ready.http = http://127.0.0.1:15672/api/health/checks/alarms\n"
                + "muster.exec.ready.timeout = 90\n"
                + "muster.exec.ready.interval = 500\n"
                + "muster.exec.ready.attempts = 5\n"
                + "muster.exec.stop_timeout = 10\n"
                + "muster.exec.join_when = seed_ready\n");
    assertThat(s.probe())
        .contains(
            new ExecSettings.Probe.Http(
                URI.create("http://127.0.0.1:15672/api/health/checks/alarms")));
    assertThat(s.readyTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.readyInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.attempts()).isEqualTo(5);
    assertThat(s.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.joinWhen()).isEqualTo(ExecSettings.JoinWhen.SEED_READY);
  }

  @Test
  void commandProbeIsSplitOnWhitespaceWithoutAShell() {
    assertThat(settings("muster.exec.ready.command =  rabbitmq-diagnostics  -q ping \n").probe())
        .contains(new ExecSettings.Probe.Command(List.of("rabbitmq-diagnostics", "-q", "ping")));
  }

  @ParameterizedTest(name = "{0} -> {1}:{2}")
  @CsvSource({
    "127.0.0.1:5672, 127.0.0.1, 5672",
    "localhost:1, localhost, 1",
    "rabbit.example.com:65535, rabbit.example.com, 65535",
    "'[::1]:5672', ::1, 5672"
  })
  void tcpProbeIsHostColonPort(String raw, String host, int port) {
    assertThat(settings("muster.exec.ready.tcp = " + raw + "\n").probe())
        .contains(new ExecSettings.Probe.Tcp(host, port));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        ":5672",
        "localhost:",
        "localhost:0",
        "localhost:65536",
        "localhost:amqp",
        "localhost:-1"
      })
  void badTcpProbeIsRejectedNamingWhatWasGiven(String raw) {
    assertThatThrownBy(() -> settings("muster.exec.ready.tcp = " + raw + "\n"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageStartingWith("muster.exec.ready.tcp: host:port")
        .hasMessageEndingWith("got " + raw)
        .extracting(e -> ((InvalidSettingException) e).key())
        .isEqualTo(ExecSettings.READY_TCP);
  }

  @Test
  void emptyTcpHostIsRejected() {
    assertThatThrownBy(() -> settings("muster.exec.ready.tcp = []:5672\n"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageStartingWith("muster.exec.ready.tcp: host:port");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "muster.exec.ready.tcp = localhost:5672 | muster.exec.ready.http = http://localhost:15672/",
        "muster.exec.ready.tcp = localhost:5672 | muster.exec.ready.command = true",
        "muster.exec.ready.http = http://localhost:15672/ | muster.exec.ready.command = true"
      })
  void twoProbesAreRejected(String first, String second) {
    assertThatThrownBy(() -> settings(first + "\n" + second + "\n"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("one readiness probe: tcp, http or command, not several");
  }

  @Test
  void twoProbesStopStartUpAsAConfigProblemAtALine() {
    ConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ConfigException.class,
            () ->
                AgentConfig.fromText(
                    "e.conf",
                    "muster.node_name = rabbit@127.0.0.1\nmuster.data_dir = "
                        + dir
                        + "\nmuster.exec.ready.tcp = localhost:5672\n"
                        + "muster.exec.ready.command = true\n",
                    Map.of()));
    assertThat(e.problems())
        .extracting(ConfigProblem::toString)
        .containsExactly(
            "e.conf:4: muster.exec.ready.command: expected one readiness probe: tcp, http or"
                + " command, not several");
  }

  @Test
  void conflictingHttpAndCommandProbesAreReportedAtALineOfOneOfThem() {
    ConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ConfigException.class,
            () ->
                AgentConfig.fromText(
                    "e.conf",
                    "muster.node_name = rabbit@127.0.0.1\nmuster.data_dir = "
                        + dir
                        + "\nmuster.exec.ready.http = http://localhost:15672/\n"
                        + "muster.exec.ready.command = true\n",
                    Map.of()));
    assertThat(e.problems())
        .singleElement()
        .extracting(ConfigProblem::origin)
        .isIn("e.conf:3", "e.conf:4");
    assertThat(e.problems().get(0).key()).isNotEqualTo("muster.exec.ready.tcp");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://localhost/", "localhost:15672", "http:///nohost"})
  void httpProbeMustBeAnHttpUrlWithAHost(String raw) {
    assertThatThrownBy(() -> settings("muster.exec.ready.http = " + raw + "\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.exec.ready.http: expected an http:// or https:// URL");
  }

  @ParameterizedTest
  @CsvSource({
    "muster.exec.ready.timeout = 0, muster.exec.ready.timeout",
    "muster.exec.ready.attempts = 0, muster.exec.ready.attempts",
    "muster.exec.join_when = later, muster.exec.join_when"
  })
  void outOfRangeValuesAreConfigProblems(String line, String key) {
    assertThatThrownBy(() -> settings(line + "\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("e.conf:1: " + key + ": expected");
  }

  @Test
  void noProbeMeansTheNodeReportsItselfThroughTheApi() {
    assertThat(settings("muster.exec.ready.attempts = 1\n").probe()).isEqualTo(Optional.empty());
  }

  @Test
  void theReloadSignalIsReadWithOrWithoutSigAndAnythingElseIsRefused() {
    assertThat(settings("").reloadSignal()).isEmpty();
    assertThat(settings("muster.exec.reload_signal = SIGHUP\n").reloadSignal()).contains("HUP");
    assertThat(settings("muster.exec.reload_signal = usr1\n").reloadSignal()).contains("USR1");
    assertThatThrownBy(() -> settings("muster.exec.reload_signal = KILL\n"))
        .hasMessageContaining("e.conf:1")
        .hasMessageContaining("muster.exec.reload_signal")
        .hasMessageContaining("one of SIGHUP");
  }

  @Test
  void aSignalIgnoredByTheAgentIsToldFromItsProcStatus() {
    // what /proc/self/status says under nohup: SIGHUP (1) ignored, nothing else
    String nohup = "Name:\tjava\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000001\n";
    assertThat(ExecSettings.ignored("HUP", nohup)).isTrue();
    assertThat(ExecSettings.ignored("USR1", nohup)).isFalse();
    // SIGUSR1 (10) and SIGWINCH (28) ignored
    String other = "SigIgn:\t0000000008000200\n";
    assertThat(ExecSettings.ignored("USR1", other)).isTrue();
    assertThat(ExecSettings.ignored("WINCH", other)).isTrue();
    assertThat(ExecSettings.ignored("HUP", other)).isFalse();
    assertThat(ExecSettings.ignored("HUP", "Name:\tjava\n")).isFalse();
  }
}
