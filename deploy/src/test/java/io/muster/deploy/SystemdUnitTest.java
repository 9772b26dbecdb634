package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped systemd units parse as unit files and keep the settings operators rely on. */
class SystemdUnitTest {

  /** Where the docs install the tarball, and where the units run it from. */
  static final String INSTALL = "/opt/muster";

  /** section -> key -> values (a key may repeat). */
  static Map<String, Map<String, List<String>>> parse(Path unit) throws IOException {
    Map<String, Map<String, List<String>>> out = new HashMap<>();
    String section = null;
    int n = 0;
    for (String raw : Files.readAllLines(unit)) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1);
        out.putIfAbsent(section, new HashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      if (section == null || eq <= 0) {
        throw new AssertionError(unit + ":" + n + ": not a unit file line: " + raw);
      }
      out.get(section)
          .computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>())
          .add(line.substring(eq + 1).strip());
    }
    return out;
  }

  static Map<String, List<String>> service(String name) throws IOException {
    return parse(Path.of("systemd", name)).get("Service");
  }

  /** The words of every value of {@code key} (space-separated lists, repeated keys). */
  private static List<String> words(Map<String, List<String>> section, String key) {
    return section.getOrDefault(key, List.of()).stream()
        .flatMap(v -> Arrays.stream(v.split("\\s+")))
        .toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"muster.service", "muster-rabbitmq.service"})
  void unitRunsTheTarballsLauncherAsADedicatedUserWithHardening(String name) throws IOException {
    Map<String, Map<String, List<String>>> unit = parse(Path.of("systemd", name));
    Map<String, List<String>> service = unit.get("Service");
    assertThat(unit).containsKeys("Unit", "Service", "Install");
    assertThat(service.get("ExecStart").get(0)).startsWith(INSTALL + "/bin/muster ");
    assertThat(service.get("User").get(0)).isNotEqualTo("root");
    assertThat(service.get("KillSignal")).containsExactly("SIGTERM");
    assertThat(service.get("NoNewPrivileges")).containsExactly("yes");
    assertThat(service.get("ProtectSystem")).containsExactly("strict");
    assertThat(service.get("CapabilityBoundingSet")).containsExactly("");
    assertThat(service.get("ProtectClock")).containsExactly("yes");
    assertThat(service.get("ProtectKernelLogs")).containsExactly("yes");
    assertThat(service.get("RestrictNamespaces")).containsExactly("yes");
    assertThat(service.get("UMask")).containsExactly("0027");
    assertThat(service.get("SystemCallFilter")).contains("@system-service");
    assertThat(service.get("SystemCallErrorNumber")).containsExactly("EPERM");
  }

  /**
   * Ready means the formation decision is taken: the agent runs systemd-notify (Java 17 has no Unix
   * datagram socket), a child process, which only NotifyAccess=all lets speak for the unit.
   * Deciding may wait for peers for as long as it takes, so no start time-out restarts a waiting
   * agent.
   */
  @ParameterizedTest
  @ValueSource(strings = {"muster.service", "muster-rabbitmq.service"})
  void unitIsStartedOnceTheAgentSaysItHasDecided(String name) throws IOException {
    Map<String, List<String>> service = service(name);
    assertThat(service.get("Type")).containsExactly("notify");
    assertThat(service.get("NotifyAccess")).containsExactly("all");
    assertThat(service.get("TimeoutStartSec")).containsExactly("infinity");
    assertThat(words(service, "RestrictAddressFamilies")).as("systemd-notify").contains("AF_UNIX");
  }

  /**
   * Exit code 2 is a configuration error for {@code muster run}, and nothing else; under {@code
   * muster exec} it may be the broker's own status, which a restart may fix, so only a start limit
   * ends a loop there.
   */
  @Test
  void onlyTheStandaloneAgentIsNotRestartedAfterExitCode2() throws IOException {
    assertThat(service("muster.service").get("RestartPreventExitStatus")).containsExactly("2");
    Map<String, Map<String, List<String>>> rabbit =
        parse(Path.of("systemd", "muster-rabbitmq.service"));
    assertThat(rabbit.get("Service")).doesNotContainKey("RestartPreventExitStatus");
    assertThat(rabbit.get("Service").get("Restart")).containsExactly("on-failure");
    assertThat(rabbit.get("Unit")).containsKeys("StartLimitIntervalSec", "StartLimitBurst");
  }

  /**
   * The sandbox leaves the JVM and Erlang what they need: JIT memory (the JVM's, BeamAsm's), the
   * socket families of epmd, inet_dist, AMQP and systemd-notify, memfd_create (@ipc, BeamAsm's dual
   * mapping), sched_setaffinity (@resources, RabbitMQ's scheduler binding), /proc/meminfo.
   */
  @ParameterizedTest
  @ValueSource(strings = {"muster.service", "muster-rabbitmq.service"})
  void theSandboxLeavesTheJvmAndErlangWhatTheyNeed(String name) throws IOException {
    Map<String, List<String>> service = service(name);
    assertThat(service)
        .doesNotContainKeys("MemoryDenyWriteExecute", "PrivateNetwork", "ProcSubset");
    assertThat(words(service, "RestrictAddressFamilies"))
        .contains("AF_UNIX", "AF_INET", "AF_INET6");
    assertThat(words(service, "SystemCallFilter"))
        .noneMatch(w -> w.matches("~?@(resources|ipc|network-io|process|memlock|signal|timer)"));
  }

  @Test
  void execUnitStartsTheShippedRabbitWrapperAndMayWriteItsFragment() throws IOException {
    Map<String, List<String>> service = service("muster-rabbitmq.service");
    assertThat(service.get("ExecStart").get(0))
        .contains(" exec --config ")
        .endsWith(" -- " + INSTALL + "/rabbitmq/rabbitmq-server-muster");
    assertThat(words(service, "ReadWritePaths"))
        .as("optional: the unit starts without it, and the docs say to create it")
        .contains("-/etc/rabbitmq/conf.d");
    assertThat(service.get("Environment")).contains("RABBITMQ_CONFIG_FILES=/etc/rabbitmq/conf.d");
  }

  /**
   * Issue 24: both units score 4.5 or better ("OK") on {@code systemd-analyze security
   * --offline=yes}, where systemd 250 or later is installed.
   */
  @ParameterizedTest
  @ValueSource(strings = {"muster.service", "muster-rabbitmq.service"})
  void systemdAnalyzeRatesTheUnitsExposureAtMost4point5(String name) throws Exception {
    Optional<Path> tool = onPath("systemd-analyze");
    assumeTrue(
        tool.isPresent(), "systemd-analyze is not installed: the exposure score is not measured");
    String version =
        run(List.of(tool.get().toString(), "--version")).lines().findFirst().orElse("");
    Matcher v = Pattern.compile("^systemd (\\d+)").matcher(version);
    assumeTrue(
        v.find() && Integer.parseInt(v.group(1)) >= 250,
        "systemd-analyze security --offline needs systemd 250 or later, this is: " + version);
    Path unit = Path.of("systemd", name).toAbsolutePath();
    String out =
        run(
            List.of(
                tool.get().toString(), "security", "--offline=yes", "--no-pager", unit.toString()));
    Matcher m = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    assertThat(Double.parseDouble(m.group(1))).as(out).isLessThanOrEqualTo(4.5);
  }

  /**
   * Issue 24: one install path. The units run the tarball from {@link #INSTALL}; the README and the
   * deployment docs unpack it there; nothing names another one.
   */
  @Test
  void theUnitsTheDocsAndTheScriptsNameOneInstallPath() throws IOException {
    Path root = Path.of("..");
    for (String name : List.of("muster.service", "muster-rabbitmq.service")) {
      String exec = service(name).get("ExecStart").get(0).split(" ")[0];
      assertThat(Path.of(exec).getParent().getParent()).isEqualTo(Path.of(INSTALL));
    }
    for (String doc : List.of("README.md", "docs/deploy/systemd.md")) {
      assertThat(Files.readString(root.resolve(doc)))
          .as(doc + " unpacks the tarball where the units run it")
          .contains("tar xzf muster-0.1.0-SNAPSHOT.tar.gz -C " + INSTALL + " --strip-components=1");
    }
    List<Path> files = new ArrayList<>();
    files.add(root.resolve("README.md"));
    for (String dir :
        List.of(
            "docs",
            "deploy/systemd",
            "deploy/rabbitmq",
            "deploy/src/dist",
            "deploy/examples",
            "bench")) {
      try (var all = Files.walk(root.resolve(dir))) {
        all.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    List<String> elsewhere = new ArrayList<>();
    Pattern other = Pattern.compile("/usr/(local/)?(lib|share|libexec)/muster\\b|/opt/muster-");
    for (Path f : files) {
      List<String> lines = Files.readAllLines(f, StandardCharsets.ISO_8859_1);
      for (int i = 0; i < lines.size(); i++) {
        if (other.matcher(lines.get(i)).find()) {
          elsewhere.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
        }
      }
    }
    assertThat(elsewhere).as("install paths other than " + INSTALL).isEmpty();
  }

  /**
   * The docs create the optional conf.d the broker's unit may write, for the rabbitmq user, and
   * install the units from where the tarball puts them.
   */
  @Test
  void theDocsCreateWhatTheUnitsExpect() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "deploy", "systemd.md"));
    assertThat(doc)
        .contains("install -d -o rabbitmq -g rabbitmq -m 0750 /etc/rabbitmq/conf.d")
        .contains("useradd --system --home-dir /var/lib/muster --shell /usr/sbin/nologin muster")
        .contains("cp " + INSTALL + "/systemd/muster.service /etc/systemd/system/")
        .contains("cp " + INSTALL + "/systemd/muster-rabbitmq.service /etc/systemd/system/");
    assertThat(Files.readString(Path.of("..", "README.md")))
        .contains("/etc/rabbitmq/conf.d")
        .contains("docs/deploy/systemd.md");
  }

  private static Optional<Path> onPath(String program) {
    List<String> dirs =
        new ArrayList<>(
            List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.add("/usr/bin");
    return dirs.stream()
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, program))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static String run(List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SYSTEMD_COLORS", "0");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
    return out;
  }
}
