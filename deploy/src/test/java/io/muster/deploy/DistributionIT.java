package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as an operator gets it: unpacked into an empty directory and run through {@code
 * bin/muster}, with no Maven class path (the child's environment drops the test's class path).
 */
class DistributionIT {

  @TempDir static Path root;
  private static Path home;

  @BeforeAll
  static void unpack() throws Exception {
    Path tarball;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      tarball =
          files
              .filter(p -> p.getFileName().toString().matches("muster-.*\\.tar\\.gz"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no muster-*.tar.gz in target/"));
    }
    Process tar =
        new ProcessBuilder(
                "tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", root.toString())
            .inheritIO()
            .start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0).isTrue();
    try (Stream<Path> dirs = Files.list(root)) {
      home = dirs.findFirst().orElseThrow();
    }
  }

  @Test
  void tarballHasTheLauncherLibrariesConfigsTemplatesAndLicense() {
    assertThat(home.resolve("bin/muster")).isExecutable();
    assertThat(home.resolve("bin/muster-archive")).isExecutable();
    assertThat(home.resolve("LICENSE")).isRegularFile();
    for (String conf :
        List.of("classic.conf", "etcd.conf", "dns.conf", "consul.conf", "aws.conf", "k8s.conf")) {
      assertThat(home.resolve("conf").resolve(conf)).isRegularFile();
      assertThat(home.resolve("examples").resolve(conf)).isRegularFile();
    }
    for (String t :
        List.of(
            "rabbitmq.mustache",
            "rabbitmq-peer-discovery.mustache",
            "elasticsearch.mustache",
            "plain.mustache")) {
      assertThat(home.resolve("templates").resolve(t)).isRegularFile();
    }
    assertThat(home.resolve("rabbitmq/rabbitmq-server-muster")).isExecutable();
    assertThat(home.resolve("rabbitmq/leave-cluster")).isExecutable();
    assertThat(home.resolve("rabbitmq/muster_peer_discovery.erl")).isRegularFile();
    if (Files.isExecutable(Path.of("/usr/bin/erlc"))) { // the build compiles it where it can
      assertThat(home.resolve("rabbitmq/ebin/muster_peer_discovery.beam")).isRegularFile();
    }
    assertThat(home.resolve("lib").toFile().list())
        .anyMatch(f -> f.startsWith("muster-agent-"))
        .anyMatch(f -> f.startsWith("muster-backend-etcd-"))
        .anyMatch(f -> f.startsWith("muster-backend-k8s-"));
  }

  @Test
  void everyShippedExampleConfigValidates() throws Exception {
    List<Path> confs = new ArrayList<>();
    try (Stream<Path> files = Files.list(home.resolve("examples"))) {
      files.forEach(confs::add);
    }
    for (Path conf : confs) {
      Process p =
          muster(
              Map.of("RABBITMQ_NODENAME", "rabbit@rabbitmq-0"),
              "validate",
              "--config",
              conf.toString());
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(conf + ": " + out).isZero();
    }
  }

  /** What an operator's edit of the templates amounts to: a value for every placeholder in them. */
  private static final List<String> FILL_IN =
      List.of(
          "s/@NODE_NAME@/rabbit@mq-1.example.internal/g",
          "s/@NODE_1@/rabbit@mq-1.example.internal/g",
          "s/@NODE_2@/rabbit@mq-2.example.internal/g",
          "s/@NODE_3@/rabbit@mq-3.example.internal/g",
          "s#@DATA_DIR@#/var/lib/muster#g",
          "s/@ETCD_ENDPOINT@/etcd-1.example.internal:2379/g",
          "s/@DNS_NAME@/rabbitmq.example.internal/g");

  private static final Pattern PLACEHOLDER = Pattern.compile("@[A-Z][A-Z0-9_]*@");

  /**
   * Issue 24: conf/ holds production templates, and so does rabbitmq/muster.conf. Each is refused
   * by {@code validate} (exit 2, every placeholder's file, line and key, and what to do) until it
   * is edited, carries no loopback node name or /tmp data dir, and validates once its placeholders
   * are filled in (here with sed).
   */
  @Test
  void everyConfTemplateIsRefusedUntilItsPlaceholdersAreFilledIn() throws Exception {
    List<Path> templates = new ArrayList<>();
    try (Stream<Path> files = Files.list(home.resolve("conf"))) {
      files.sorted().forEach(templates::add);
    }
    assertThat(templates).hasSize(6);
    templates.add(home.resolve("rabbitmq/muster.conf"));
    Path filledDir = Files.createDirectories(root.resolve("filled"));
    for (Path conf : templates) {
      List<String> lines = Files.readAllLines(conf);
      assertThat(String.join("\n", lines))
          .as(conf.toString())
          .doesNotContain("/tmp/")
          .doesNotContain("@127.");
      if (conf.getParent().getFileName().toString().equals("conf")) {
        assertThat(lines).as(conf.toString()).contains("muster.data_dir = @DATA_DIR@");
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        Matcher m = PLACEHOLDER.matcher(line);
        if (!line.startsWith("#") && m.find()) {
          expected.add(
              conf
                  + ":"
                  + (i + 1)
                  + ": "
                  + line.substring(0, line.indexOf('=')).strip()
                  + ": expected a real value, not the template's placeholder "
                  + m.group()
                  + " (edit it: the template's comment above the line says what belongs there)");
        }
      }
      Ran refused = validate(conf);
      assertThat(refused.exit()).as(conf + ": " + refused.output()).isEqualTo(2);
      assertThat(refused.output().lines().toList()).as(conf.toString()).containsAll(expected);

      assertThat(expected).as(conf + ": its placeholders").isNotEmpty();
      Path filled = filledDir.resolve(conf.getParent().getFileName() + "-" + conf.getFileName());
      List<String> sed = new ArrayList<>(List.of("sed"));
      FILL_IN.forEach(e -> sed.addAll(List.of("-e", e)));
      sed.add(conf.toString());
      Process p = new ProcessBuilder(sed).redirectOutput(filled.toFile()).start();
      assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
      assertThat(Files.readAllLines(filled))
          .as(filled + ": a placeholder FILL_IN does not know")
          .noneMatch(l -> !l.strip().startsWith("#") && PLACEHOLDER.matcher(l).find());
      Ran ok = validate(filled);
      assertThat(ok.exit()).as(filled + ": " + ok.output()).isZero();
    }
  }

  /**
   * Issue 24: one install path. Every path under /opt/muster that the README, the deployment docs,
   * the units and the RabbitMQ files name is in the tarball as the docs unpack it there, but
   * lib/muster.jsa, which muster-archive makes.
   */
  @Test
  void everyInstalledPathTheDocsAndUnitsNameIsInTheTarball() throws IOException {
    Pattern installed = Pattern.compile("/opt/muster(/[A-Za-z0-9._/-]*)?");
    Set<String> named = new TreeSet<>();
    List<String> missing = new ArrayList<>();
    for (String source :
        List.of(
            "../README.md",
            "../docs/deploy/systemd.md",
            "../docs/deploy/rabbitmq.md",
            "systemd/muster.service",
            "systemd/muster-rabbitmq.service",
            "rabbitmq/muster.conf",
            "rabbitmq/rabbitmq-server-muster")) {
      Matcher m = installed.matcher(Files.readString(Path.of(source)));
      while (m.find()) {
        String rel = m.group(1) == null ? "" : m.group(1).replaceAll("^/+|[/.]+$", "");
        named.add(rel);
        if (!rel.equals("lib/muster.jsa") && !Files.exists(home.resolve(rel))) {
          missing.add(source + ": " + m.group());
        }
      }
    }
    assertThat(named)
        .contains(
            "bin/muster",
            "conf/etcd.conf",
            "systemd/muster.service",
            "systemd/muster-rabbitmq.service",
            "rabbitmq/muster.conf",
            "rabbitmq/rabbitmq-server-muster",
            "rabbitmq/conf.d/10-rabbitmq.conf");
    assertThat(missing).as("named under /opt/muster but not in the tarball").isEmpty();
  }

  /** A finished command: its exit code and its output, stderr included. */
  private record Ran(int exit, String output) {}

  /** {@code bin/muster validate} as on a pod or VM whose node name RabbitMQ's variable gives. */
  private static Ran validate(Path conf) throws Exception {
    Process p =
        musterCommand(
                Map.of("RABBITMQ_NODENAME", "rabbit@rabbitmq-0"),
                "validate",
                "--config",
                conf.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Ran(p.exitValue(), out);
  }

  @Test
  void binMusterPrintsThePeersOfTheExampleConfig() throws Exception {
    Process p =
        muster(Map.of(), "peers", "--config", home.resolve("examples/classic.conf").toString());
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out.lines().toList())
        .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2", "rabbit@127.0.0.3");
  }

  @Test
  void binMusterRunsTheAgentAndStopsOnSigterm() throws Exception {
    runUntilLiveThenStop(Map.of("MUSTER__DATA_DIR", root.resolve("data").toString()));
  }

  /**
   * Issue 24: under a Type=notify unit (NOTIFY_SOCKET set) the agent runs {@code systemd-notify
   * --ready} once it has taken its formation decision: here a node listed alone, allowed to run
   * standalone, seeds at once, and a fake systemd-notify first on PATH records what it was given.
   */
  @Test
  void underSystemdTheAgentSaysItIsReadyOnceItHasDecided() throws Exception {
    Path dir = Files.createDirectories(root.resolve("notify"));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path runs = dir.resolve("runs");
    Path fake = bin.resolve("systemd-notify");
    Files.writeString(
        fake,
        "#!/bin/sh\nprintf '%s|' \"$NOTIFY_SOCKET\" \"$@\" >> '"
            + runs
            + "'\necho >> '"
            + runs
            + "'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = dir.resolve("alone.conf");
    Files.writeString(
        conf,
        "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n"
            + "muster.node_name = rabbit@127.0.0.1\n"
            + "muster.allow_standalone = true\n");
    Path socket = dir.resolve("notify.sock");
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("NOTIFY_SOCKET", socket.toString());
    env.put("MUSTER__DATA_DIR", dir.resolve("data").toString());
    env.put("MUSTER__API__PORT", Integer.toString(Ports.freeOnLoopbacks(1)));
    env.put("MUSTER__PEER__PORT", Integer.toString(Ports.freeOnLoopbacks(1)));
    Process p = muster(env, "run", "--config", conf.toString());
    try {
      await("systemd-notify run by the agent")
          .atMost(Timing.scaled(Duration.ofSeconds(60)))
          .pollInterval(Duration.ofMillis(100))
          .failFast("bin/muster run exited", () -> !p.isAlive())
          .until(() -> Files.exists(runs) && !Files.readAllLines(runs).isEmpty());
    } finally {
      p.destroy();
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readAllLines(runs))
        .containsExactly(
            socket + "|--ready|--status=Formation decision taken: seed; see muster status|");
  }

  /**
   * Issue 19: bin/muster-archive makes the class-data archive without forming (a dry run: nothing
   * registered, discovered or rendered) and without the JVM's per-class [cds] warnings; bin/muster
   * then maps it and says its version from the jar.
   */
  @Test
  void theArchiveIsMadeByADryRunWithoutNoiseAndMappedAfterwards() throws Exception {
    Path archive = root.resolve("archive-test.jsa");
    ProcessBuilder pb =
        new ProcessBuilder(
                home.resolve("bin/muster-archive").toString(),
                home.resolve("examples/classic.conf").toString())
            .redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv("PATH"));
    pb.environment().put("HOME", root.toString());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("MUSTER_CDS_ARCHIVE", archive.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("dry run: agent for")
        .contains("started without forming")
        .contains("muster-archive: wrote " + archive)
        .doesNotContain("[cds]")
        .doesNotContain("Registered");
    assertThat(archive).isRegularFile();

    Process v = muster(Map.of("MUSTER_CDS_ARCHIVE", archive.toString()), "-V");
    String version = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(v.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(version).startsWith("muster 0.").doesNotContain("development");
  }

  /**
   * Issue 22: with no archive, the first {@code bin/muster run} dumps one when its JVM stops; the
   * next start checks it, makes it the archive and maps it, with no manual step.
   */
  @Test
  void theFirstRunMakesTheArchiveAndTheNextStartMapsIt() throws Exception {
    Path dir = Files.createDirectories(root.resolve("auto-cds"));
    Path archive = dir.resolve("muster.jsa");
    Path classes = dir.resolve("classes.log");
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER_CDS_ARCHIVE", archive.toString());
    env.put("MUSTER__DATA_DIR", dir.resolve("data").toString());

    long first = runUntilLiveThenStop(env);
    assertThat(dir.resolve("muster.jsa." + first + ".dump"))
        .as("dumped by the first run's JVM as it stopped")
        .isRegularFile();
    assertThat(archive).doesNotExist();

    env.put("MUSTER_JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -Xlog:class+load=info:file=" + classes);
    runUntilLiveThenStop(env);
    assertThat(archive).as("the checked dump, renamed").isRegularFile();
    try (var left = Files.list(dir)) {
      assertThat(left.map(f -> f.getFileName().toString())).noneMatch(f -> f.endsWith(".dump"));
    }
    assertThat(Files.readString(classes))
        .as("the second start loaded classes from the archive")
        .contains("io.muster.agent.Agent source: shared objects file");
  }

  /** {@code bin/muster run} on the classic example until /health/live, then SIGTERM; its pid. */
  private static long runUntilLiveThenStop(Map<String, String> extra) throws Exception {
    int api = Ports.freeOnLoopbacks(1);
    Map<String, String> env = new HashMap<>(extra);
    env.put("MUSTER__API__PORT", Integer.toString(api));
    env.put("MUSTER__PEER__PORT", Integer.toString(Ports.freeOnLoopbacks(1)));
    Process p = muster(env, "run", "--config", home.resolve("examples/classic.conf").toString());
    HttpClient http = HttpClient.newHttpClient();
    await("the agent's /health/live")
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .pollInterval(Duration.ofMillis(100))
        .failFast("bin/muster run exited", () -> !p.isAlive())
        .until(
            () -> {
              try {
                return http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + api + "/health/live"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200;
              } catch (IOException e) {
                return false;
              }
            });
    p.destroy();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return p.pid();
  }

  /** bin/muster with a clean environment: PATH and HOME only, plus {@code extra}. */
  private static Process muster(Map<String, String> extra, String... args) throws IOException {
    return musterCommand(extra, args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static ProcessBuilder musterCommand(Map<String, String> extra, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin/muster").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", System.getenv("PATH"));
    env.put("HOME", root.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.putAll(extra);
    return pb;
  }
}
