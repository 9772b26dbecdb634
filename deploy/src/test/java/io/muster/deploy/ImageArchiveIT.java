package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.CoreKeys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image ({@code mvn -Pimage}: target/muster-image.tar, a {@code docker save} archive)
 * read as a registry or a runtime reads it, with no container engine and no root: its config (user,
 * entrypoint, ports, labels, architecture) and the entries of its layers, later layers overriding
 * earlier ones. {@link ImageIT} runs what it holds.
 */
@EnabledIfSystemProperty(named = "muster.image", matches = ".+")
class ImageArchiveIT {

  /** {@code tar -tv --numeric-owner}: mode, uid/gid, size, date, time, name (and a link target). */
  private static final Pattern LISTING =
      Pattern.compile(
          "^(\\S{10})\\s+(\\d+)/(\\d+)\\s+\\d+\\s+\\S+\\s+\\S+\\s+(.+?)(?: -> .*| link to .*)?$");

  @TempDir static Path dir;
  private static JsonObject image;
  private static JsonObject config;
  private static final Map<String, Entry> files = new LinkedHashMap<>();
  private static final List<String> layers = new ArrayList<>();

  /** One path of the image as its topmost layer has it. */
  record Entry(String mode, int uid, int gid) {}

  @BeforeAll
  static void read() throws Exception {
    Path archive = Path.of(System.getProperty("muster.image"));
    run(List.of("tar", "-xf", archive.toString(), "-C", dir.toString()));
    JsonObject manifest =
        new JsonArray(Files.readString(dir.resolve("manifest.json"))).getJsonObject(0);
    image = new JsonObject(Files.readString(dir.resolve(manifest.getString("Config"))));
    config = image.getJsonObject("config");
    for (Object layer : manifest.getJsonArray("Layers")) {
      layers.add(layer.toString());
      String listing =
          run(
              List.of(
                  "tar",
                  "--warning=no-unknown-keyword",
                  "--numeric-owner",
                  "-tvzf",
                  dir.resolve(layer.toString()).toString()));
      for (String line : listing.split("\n")) {
        Matcher m = LISTING.matcher(line);
        assertThat(m.matches()).as("a tar listing line: %s", line).isTrue();
        String name = m.group(4).replaceFirst("^\\./", "").replaceFirst("/$", "");
        files.put(
            name,
            new Entry(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
      }
    }
  }

  @Test
  void tiniRunsTheMusterLauncherAsANonRootUser() {
    assertThat(config.getString("User")).matches("[1-9][0-9]*:[0-9]+");
    assertThat(config.getJsonArray("Entrypoint").getList())
        .containsExactly("/usr/bin/tini", "-s", "--", "/usr/local/bin/muster");
    assertThat(config.getJsonArray("Cmd").getList())
        .containsExactly("run", "--config", "/etc/muster/muster.conf");
    // `muster` is a command: kubectl exec POD -c muster -- muster status ...
    assertThat(config.getJsonArray("Env").getList()).contains("PATH=/usr/local/bin:/opt/java/bin");
    assertThat(files.get("usr/bin/tini")).isEqualTo(new Entry("-rwxr-xr-x", 0, 0));
    assertThat(files.get("usr/local/bin/muster")).isEqualTo(new Entry("-rwxr-xr-x", 0, 0));
    // the launcher's interpreter
    assertThat(files.get("bin/sh")).isEqualTo(new Entry("-rwxr-xr-x", 0, 0));
  }

  @Test
  void theLauncherRunsOnTheTarballsSidecarFlags() throws Exception {
    String launcher = fileOf("usr/local/bin/muster");
    assertThat(launcher).startsWith("#!/bin/sh\n").contains("exec /opt/java/bin/java $opts");
    assertThat(optsLine(launcher))
        .as("the JVM flags of the image's muster and of bin/muster")
        .isEqualTo(optsLine(Files.readString(Path.of("src/dist/bin/muster"))));
  }

  @Test
  void theImageExposesThePortsTheAgentServesByDefault() {
    assertThat(config.getJsonObject("ExposedPorts").fieldNames())
        .containsExactlyInAnyOrder(
            CoreKeys.API_PORT.defaultValue() + "/tcp", CoreKeys.PEER_PORT.defaultValue() + "/tcp");
  }

  @Test
  void theImageIsLabelledWithItsNameVersionAndLicence() {
    assertThat(config.getJsonObject("Labels").getMap())
        .containsEntry("org.opencontainers.image.title", "muster")
        .containsEntry("org.opencontainers.image.version", System.getProperty("muster.version"))
        .containsEntry("org.opencontainers.image.licenses", "Apache-2.0")
        .containsKey("org.opencontainers.image.description");
  }

  /** Only /tmp is writable by all, with the sticky bit; the data dir is the agent's user's. */
  @Test
  void nothingIsWorldWritableButTheStickyTmp() {
    assertThat(files.get("tmp")).isEqualTo(new Entry("drwxrwxrwt", 0, 0));
    String[] user = config.getString("User").split(":");
    assertThat(files.get("var/lib/muster"))
        .isEqualTo(new Entry("drwx------", Integer.parseInt(user[0]), Integer.parseInt(user[1])));
    assertThat(
            files.entrySet().stream()
                .filter(e -> e.getValue().mode().charAt(8) == 'w')
                .filter(e -> !e.getValue().mode().startsWith("l")) // a symlink's mode means nothing
                .map(Map.Entry::getKey))
        .containsExactly("tmp");
    assertThat(
            files.entrySet().stream().filter(e -> e.getValue().uid() != 0).map(Map.Entry::getKey))
        .containsExactly("var/lib/muster");
  }

  /**
   * The architecture in the config is the one of the runtime the image carries, which is this
   * machine's (the build copies its JDK and libraries); nothing in the build names a library
   * directory of one architecture.
   */
  @Test
  void theImageIsForTheArchitectureItWasBuiltOn() throws IOException {
    String arch =
        switch (System.getProperty("os.arch")) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64" -> "arm64";
          default -> System.getProperty("os.arch");
        };
    assertThat(image.getString("architecture")).isEqualTo(arch);
    assertThat(image.getString("os")).isEqualTo("linux");
    for (Path build : List.of(Path.of("pom.xml"), Path.of("src/image/base-root.sh"))) {
      assertThat(Files.readString(build))
          .as(build.toString())
          .doesNotContainPattern("[a-z0-9_]+-linux-gnu")
          .doesNotContain("lib64");
    }
  }

  /** The text of one file of the image, from the topmost layer that holds it. */
  private static String fileOf(String name) throws Exception {
    for (int i = layers.size() - 1; i >= 0; i--) {
      String layer = layers.get(i);
      String listing = run(List.of("tar", "-tzf", dir.resolve(layer).toString()));
      if (listing.lines().anyMatch(l -> l.replaceFirst("^\\./", "").equals(name))) {
        return run(
            List.of(
                "tar",
                "--warning=no-unknown-keyword",
                "-xzOf",
                dir.resolve(layer).toString(),
                name));
      }
    }
    throw new AssertionError("no " + name + " in the image");
  }

  private static String optsLine(String script) {
    Matcher m = Pattern.compile("(?m)^opts=\\$\\{MUSTER_JAVA_OPTS:-(.*)}$").matcher(script);
    assertThat(m.find()).as("an opts line in%n%s", script).isTrue();
    return m.group(1);
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as(String.join(" ", cmd))
        .isTrue();
    return out;
  }
}
