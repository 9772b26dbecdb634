package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.backend.etcd.EtcdCluster;
import io.muster.backend.etcd.TestCerts;
import io.muster.testing.AgentApi;
import io.muster.testing.Ports;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image ({@code mvn -Pimage}: target/muster-image.tar) run the way a container
 * runtime runs it, without a Docker daemon: the layers named in manifest.json unpacked in order
 * into an empty root, then the image's own entrypoint, command, user and environment run there
 * under {@code unshare} (new mount and PID namespaces, /proc mounted, /dev bound, the entrypoint's
 * tini is PID 1) and {@code chroot}; or one of its commands as {@code kubectl exec} runs it.
 * Nothing from the host is visible but what the image holds and the /etc/hosts a runtime would
 * write. The network is the host's, so the loopback API and a real etcd on 127.0.0.1 are reachable
 * (a pod would share its own network namespace the same way). It needs root; without it, it is
 * skipped and {@link ImageArchiveIT} still reads the image.
 */
@EnabledIfSystemProperty(named = "muster.image", matches = ".+")
@EnabledIf(
    value = "canIsolate",
    disabledReason = "needs root allowed to unshare mount and PID namespaces, mount and chroot")
class ImageIT {

  private static final TestCerts CERTS = new TestCerts();

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.tls(CERTS);

  @TempDir static Path dir;
  private static Path root;
  private static JsonObject config;
  private static String host;

  private final List<Process> started = new ArrayList<>();

  /** The image's config, and what validate says about its first placeholder. */
  private static final String CONF = "/etc/muster/muster.conf";

  private static final String PLACEHOLDER_PROBLEM =
      CONF
          + ":8: cluster_formation.classic_config.nodes.1: expected a node name prefix@host (node"
          + " host label must be letters, digits and inner '-', got \"<host-of-node-1>\")";

  static boolean canIsolate() {
    try {
      Process p =
          new ProcessBuilder(
                  "/usr/bin/unshare",
                  "--mount",
                  "--pid",
                  "--fork",
                  "/bin/sh",
                  "-c",
                  "mount -t tmpfs none /mnt && /usr/sbin/chroot / true")
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @BeforeAll
  static void unpack() throws Exception {
    Path image = Path.of(System.getProperty("muster.image"));
    Path archive = Files.createDirectories(dir.resolve("archive"));
    root = Files.createDirectories(dir.resolve("root"));
    run("tar", "-xf", image.toString(), "-C", archive.toString());
    JsonObject manifest =
        new JsonArray(Files.readString(archive.resolve("manifest.json"))).getJsonObject(0);
    for (Object layer : manifest.getJsonArray("Layers")) {
      run(
          "tar",
          "--warning=no-unknown-keyword",
          "-xzf",
          archive.resolve(layer.toString()).toString(),
          "-C",
          root.toString());
    }
    config =
        new JsonObject(Files.readString(archive.resolve(manifest.getString("Config"))))
            .getJsonObject("config");
    // What a runtime provides: /proc, /dev, /etc/resolv.conf, an /etc/hosts naming the container.
    Files.createDirectories(root.resolve("proc"));
    Files.createDirectories(root.resolve("dev"));
    host = java.net.InetAddress.getLocalHost().getHostName();
    Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n127.0.0.1 " + host + "\n");
    if (Files.isReadable(Path.of("/etc/resolv.conf"))) {
      Files.copy(Path.of("/etc/resolv.conf"), root.resolve("etc/resolv.conf"));
    }
  }

  @AfterEach
  void stopAll() throws InterruptedException, IOException {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    // Each test starts with the image's empty data dir (no membership record to rejoin from).
    for (Path f : listFiles(root.resolve("var/lib/muster"))) {
      Files.delete(f);
    }
  }

  /** Issue 19: the image says which build it is (the version is embedded at build time). */
  @Test
  void theImageSaysItsVersion() throws Exception {
    Output out = new Output();
    Process p = image(Map.of(), out, "-V");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isZero();
    assertThat(out.text()).startsWith("muster 0.").doesNotContain("development");
  }

  /** Issue 24: {@code muster} is a command of the image, as {@code kubectl exec} runs one. */
  @Test
  void musterIsACommandOnTheImagesPath() throws Exception {
    Output out = new Output();
    Process p = inImage(List.of("muster", "--version"), Map.of(), out);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isZero();
    assertThat(out.text()).startsWith("muster 0.");
  }

  @Test
  void everyBackendLoadsInsideTheImage() throws Exception {
    Output out = new Output();
    Process p = image(Map.of(), out, "backends");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isZero();
    assertThat(out.text()).contains("aws ", "classic_config ", "consul ", "dns ", "etcd ", "k8s ");
  }

  /**
   * formation.md invariant 8: the image's config is a template whose node names are placeholders,
   * so a pod whose ConfigMap is missing exits 2 naming the line to fill in, instead of forming a
   * cluster of its own; allowing a node to run alone does not get past them either.
   */
  @Test
  void theDefaultCommandRefusesThePlaceholderConfigWithExitTwo() throws Exception {
    for (String allowStandalone : List.of("false", "true")) {
      Map<String, String> env = apiEnv(Ports.freeOnLoopbacks(1));
      env.put("MUSTER__ALLOW_STANDALONE", allowStandalone);
      Output out = new Output();
      Process p = image(env, out);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(out.text()).isTrue();
      assertThat(p.exitValue()).as(out.text()).isEqualTo(2);
      assertThat(out.text()).contains(PLACEHOLDER_PROBLEM);
    }
  }

  /** {@code muster validate} says what is wrong with the template, and passes it filled in. */
  @Test
  void validateRejectsThePlaceholderConfigAndPassesItFilledIn() throws Exception {
    Output out = new Output();
    Process p = inImage(List.of("muster", "validate", "--config", CONF), Map.of(), out);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isEqualTo(2);
    assertThat(out.text())
        .contains(PLACEHOLDER_PROBLEM)
        .contains("<host-of-node-2>")
        .contains("<host-of-node-3>");

    String template = Files.readString(root.resolve(CONF.substring(1)));
    Files.writeString(
        root.resolve("etc/muster/filled.conf"),
        template.replaceAll("<host-of-node-(\\d)>", "node-$1.example.com"));
    Output filled = new Output();
    Process q =
        inImage(
            List.of("muster", "validate", "--config", "/etc/muster/filled.conf"), Map.of(), filled);
    assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(q.exitValue()).as(filled.text()).isZero();
    assertThat(filled.text())
        .startsWith("OK: /etc/muster/filled.conf")
        .contains("nodes.3 = rabbit@node-3.example.com")
        .doesNotContain("warning:");
  }

  @Test
  void aNodeAllowedToRunAloneSeedsWritesItsDataDirAndStopsOnSigtermToTini() throws Exception {
    Files.writeString(
        root.resolve("etc/muster/alone.conf"),
        "cluster_formation.peer_discovery_backend = classic_config\n"
            + "muster.allow_standalone = true\n");
    int api = Ports.freeOnLoopbacks(1);
    Output out = new Output();
    Process p = image(apiEnv(api), out, "run", "--config", "/etc/muster/alone.conf");
    await("the image's agent decides")
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .pollInterval(Duration.ofMillis(200))
        .failFast("the agent exited: " + out.text(), () -> !p.isAlive())
        .until(() -> status(api, "/health/ready") == 200);
    JsonObject decision = AgentApi.status(api).getJsonObject("formation").getJsonObject("decision");
    assertThat(decision.getString("action")).isEqualTo("seed");
    // The node reports its boot; the membership record goes to the image's data dir, written as
    // the agent's user.
    assertThat(post(api, "/v1/formation/complete")).isBetween(200, 299);
    await("the data dir is written")
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> listFiles(root.resolve("var/lib/muster")).size() > 0);
    for (Path f : listFiles(root.resolve("var/lib/muster"))) {
      assertThat(Files.getAttribute(f, "unix:uid")).as(f.toString()).isEqualTo(65532);
    }
    // tini is PID 1 of the container and the agent's JVM its child (the launcher exec'd it).
    ProcessHandle tini = tini(p);
    assertThat(pidInItsNamespace(tini)).isEqualTo(1);
    assertThat(agent(p).parent().map(ProcessHandle::pid)).contains(tini.pid());
    // SIGTERM to PID 1, as a runtime stops a container: tini passes it on; clean stop, status 0.
    tini.destroy();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isZero();
    assertThat(out.text()).contains("stopped");
  }

  @Test
  void etcdBackendOverVerifiedTlsWorksFromTheImage() throws Exception {
    // Certificates as a deployment mounts them (a Secret volume), readable by the agent's user.
    Path tls = Files.createDirectories(root.resolve("etc/muster/tls"));
    for (Path f : List.of(CERTS.ca(), CERTS.clientCert(), CERTS.clientKey())) {
      Path copy = tls.resolve(f.getFileName());
      Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    }
    Files.writeString(
        root.resolve("etc/muster/etcd.conf"),
        "cluster_formation.peer_discovery_backend = etcd\n"
            + "cluster_formation.etcd.endpoints.1 = "
            + ETCD.clientUrl(0)
            + "\ncluster_formation.etcd.cluster_name = image\n"
            + "cluster_formation.etcd.ssl_options.cacertfile = /etc/muster/tls/"
            + CERTS.ca().getFileName()
            + "\ncluster_formation.etcd.ssl_options.certfile = /etc/muster/tls/"
            + CERTS.clientCert().getFileName()
            + "\ncluster_formation.etcd.ssl_options.keyfile = /etc/muster/tls/"
            + CERTS.clientKey().getFileName()
            + "\n");
    int api = Ports.freeOnLoopbacks(1);
    Output out = new Output();
    Process p = image(apiEnv(api), out, "run", "--config", "/etc/muster/etcd.conf");
    await("the image's agent registers in etcd over TLS and seeds")
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .pollInterval(Duration.ofMillis(200))
        .failFast("the agent exited: " + out.text(), () -> !p.isAlive())
        .until(() -> status(api, "/health/ready") == 200);
    await("its own registration, read back from etcd")
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .untilAsserted(
            () ->
                assertThat(AgentApi.peerNames(api))
                    .as("%s%n%s", AgentApi.peers(api), out.text())
                    .containsExactly("rabbit@" + host));
    tini(p).destroy();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out.text()).isZero();
  }

  private static Map<String, String> apiEnv(int api) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER__API__PORT", Integer.toString(api));
    env.put("MUSTER__PEER__PORT", Integer.toString(Ports.freeOnLoopbacks(1)));
    return env;
  }

  /** Runs the image's entrypoint with {@code args}, or with its own command when none are given. */
  private Process image(Map<String, String> env, Output out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    config.getJsonArray("Entrypoint").forEach(a -> cmd.add(a.toString()));
    if (args.length == 0) {
      config.getJsonArray("Cmd").forEach(a -> cmd.add(a.toString()));
    } else {
      cmd.addAll(List.of(args));
    }
    return inImage(cmd, env, out);
  }

  /**
   * Runs {@code command} in the image's root as the image's user, with its environment and {@code
   * env} (a bare name is looked up on the image's PATH, as {@code kubectl exec} does).
   */
  private Process inImage(List<String> command, Map<String, String> env, Output out)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("/usr/bin/unshare");
    cmd.addAll(List.of("--mount", "--pid", "--fork", "--mount-proc=" + root.resolve("proc")));
    // /dev as a runtime provides it (without /dev/urandom the JVM's SecureRandom seeding alone
    // takes seconds), bound inside the new mount namespace only.
    cmd.addAll(
        List.of(
            "/bin/sh",
            "-c",
            "/bin/mount --rbind /dev \"$0/dev\" && exec /usr/sbin/chroot --userspec="
                + config.getString("User")
                + " \"$0\" \"$@\"",
            root.toString()));
    cmd.addAll(command);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.file.toFile());
    pb.environment().clear();
    for (Object e : config.getJsonArray("Env")) {
      String[] kv = e.toString().split("=", 2);
      pb.environment().put(kv[0], kv[1]);
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** The container's init: the image's tini under unshare and chroot. */
  private static ProcessHandle tini(Process p) {
    return p.descendants()
        .filter(h -> h.info().command().map(c -> c.endsWith("/usr/bin/tini")).orElse(false))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no tini under " + p.pid()));
  }

  /** The process's id in its own PID namespace (the last of /proc/PID/status's NSpid). */
  private static long pidInItsNamespace(ProcessHandle h) throws IOException {
    String nspid =
        Files.readAllLines(Path.of("/proc", Long.toString(h.pid()), "status")).stream()
            .filter(l -> l.startsWith("NSpid:"))
            .findFirst()
            .orElseThrow();
    String[] ids = nspid.substring("NSpid:".length()).trim().split("\\s+");
    return Long.parseLong(ids[ids.length - 1]);
  }

  /** The agent's JVM: the one process under unshare and chroot that runs the image's java. */
  private static ProcessHandle agent(Process p) {
    return p.descendants()
        .filter(h -> h.info().command().map(c -> c.endsWith("/opt/java/bin/java")).orElse(false))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no java process under " + p.pid()));
  }

  private static int status(int port, String path) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int post(int port, String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static List<Path> listFiles(Path d) throws IOException {
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as(String.join(" ", cmd))
        .isTrue();
  }

  /** The image process's output, kept in a file for the assertions' messages. */
  private static final class Output {
    final Path file;

    Output() throws IOException {
      file = Files.createTempFile(dir, "image", ".log");
    }

    String text() {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    }
  }
}
