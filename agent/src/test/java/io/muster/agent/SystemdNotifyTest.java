package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.spi.NodeName;
import io.muster.testing.LogLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24: under a Type=notify unit the agent runs {@code systemd-notify --ready} once, after the
 * formation decision, and never where NOTIFY_SOCKET is unset. A fake systemd-notify records the
 * arguments and the socket it was given, one line per run.
 */
class SystemdNotifyTest {

  private static final Map<String, String> UNDER_SYSTEMD =
      Map.of("NOTIFY_SOCKET", "/run/systemd/notify");
  private static final Decision SEED =
      new Decision.Seed(NodeName.parse("rabbit@mq-1"), "cluster-1");

  @TempDir Path dir;
  private Path fake;
  private Path runs;

  @BeforeEach
  void fakeSystemdNotify() throws IOException {
    runs = dir.resolve("runs");
    fake = dir.resolve("systemd-notify");
    Files.writeString(
        fake,
        "#!/bin/sh\nprintf '%s|' \"$NOTIFY_SOCKET\" \"$@\" >> '"
            + runs
            + "'\necho >> '"
            + runs
            + "'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private List<String> runs() throws IOException {
    return Files.exists(runs) ? Files.readAllLines(runs) : List.of();
  }

  @Test
  void readyIsSentOnceTheDecisionIsTakenAndNotBefore() throws Exception {
    SystemdNotify notify = new SystemdNotify(UNDER_SYSTEMD, fake.toString());
    CompletableFuture<Decision> decision = new CompletableFuture<>();
    CompletableFuture<Void> sent = notify.readyWhen(decision);
    assertThat(sent).isNotDone();
    assertThat(runs()).isEmpty();

    try (LogLines log = new LogLines(SystemdNotify.class)) {
      decision.complete(SEED);
      sent.get(30, TimeUnit.SECONDS);
      assertThat(log.lines())
          .containsExactly("INFO Told systemd the agent is ready (seed), through " + fake);
    }
    assertThat(runs())
        .containsExactly(
            "/run/systemd/notify|--ready|--status=Formation decision taken: seed; see muster"
                + " status|");
  }

  @Test
  void aSecondDecisionAfterAnAbortSendsNothingMore() throws Exception {
    SystemdNotify notify = new SystemdNotify(UNDER_SYSTEMD, fake.toString());
    notify.readyWhen(CompletableFuture.completedFuture(SEED)).get(30, TimeUnit.SECONDS);
    Decision join =
        new Decision.Join(
            NodeName.parse("rabbit@mq-2"), List.of(NodeName.parse("rabbit@mq-2")), "cluster-1");
    notify.readyWhen(CompletableFuture.completedFuture(join)).get(30, TimeUnit.SECONDS);
    assertThat(runs()).hasSize(1);
  }

  @Test
  void withoutNotifySocketNothingIsRunEvenAfterTheDecision() throws Exception {
    SystemdNotify notify = new SystemdNotify(Map.of("NOTIFY_SOCKET", ""), fake.toString());
    CompletableFuture<Decision> decision = new CompletableFuture<>();
    CompletableFuture<Void> sent = notify.readyWhen(decision);
    assertThat(sent).as("nothing to wait for: not under systemd").isDone();
    decision.complete(SEED);
    new SystemdNotify(Map.of(), fake.toString())
        .readyWhen(CompletableFuture.completedFuture(SEED))
        .get(30, TimeUnit.SECONDS);
    assertThat(runs()).isEmpty();
  }

  @Test
  void aMissingSystemdNotifyIsAWarningNotAFailure() throws Exception {
    Path absent = dir.resolve("no-such-systemd-notify");
    try (LogLines log = new LogLines(SystemdNotify.class)) {
      new SystemdNotify(UNDER_SYSTEMD, absent.toString())
          .readyWhen(CompletableFuture.completedFuture(SEED))
          .get(30, TimeUnit.SECONDS);
      assertThat(log.lines())
          .singleElement()
          .asString()
          .startsWith("WARN Could not tell systemd the agent is ready (" + absent + " exit -1:")
          .contains("cannot start " + absent)
          .endsWith("a Type=notify unit stays 'activating' though the agent runs on");
    }
  }
}
