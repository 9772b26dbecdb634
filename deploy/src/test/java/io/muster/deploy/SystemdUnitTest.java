package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped systemd units parse as unit files and keep the settings operators rely on. */
class SystemdUnitTest {

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

  @ParameterizedTest
  @ValueSource(strings = {"muster.service", "muster-rabbitmq.service"})
  void unitRunsTheTarballsLauncherAsADedicatedUserWithHardening(String name) throws IOException {
    Map<String, Map<String, List<String>>> unit = parse(Path.of("systemd", name));
    Map<String, List<String>> service = unit.get("Service");
    assertThat(unit).containsKeys("Unit", "Service", "Install");
    assertThat(service.get("ExecStart").get(0)).startsWith("/opt/muster/bin/muster ");
    assertThat(service.get("User").get(0)).isNotEqualTo("root");
    assertThat(service.get("NoNewPrivileges")).containsExactly("yes");
    assertThat(service.get("ProtectSystem")).containsExactly("strict");
    assertThat(service.get("RestartPreventExitStatus")).containsExactly("2");
    assertThat(service.get("KillSignal")).containsExactly("SIGTERM");
  }

  @ParameterizedTest
  @ValueSource(strings = {"muster-rabbitmq.service"})
  void execUnitStartsTheShippedRabbitWrapperAndMayWriteItsFragment(String name) throws IOException {
    Map<String, List<String>> service = parse(Path.of("systemd", name)).get("Service");
    assertThat(service.get("ExecStart").get(0))
        .contains(" exec --config ")
        .endsWith(" -- /opt/muster/rabbitmq/rabbitmq-server-muster");
    assertThat(service.get("ReadWritePaths").get(0)).contains("/etc/rabbitmq/conf.d");
    assertThat(service.get("Environment")).contains("RABBITMQ_CONFIG_FILES=/etc/rabbitmq/conf.d");
  }
}
