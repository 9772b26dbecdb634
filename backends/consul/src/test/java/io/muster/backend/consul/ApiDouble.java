package io.muster.backend.consul;

import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * HashiCorp's Consul API double: the {@code @hashicorp/consul-api-double} templates (the bodies
 * Consul's UI is tested with) rendered over HTTP by HashiCorp's own renderer, {@code
 * @hashicorp/api-double}, under Node.js, with a pinned faker seed. Installed by {@code
 * scripts/install-test-deps} into {@code $MUSTER_TEST_DEPS/consul-api-double} (default {@code
 * ~/.cache/muster-test-deps}); nothing of theirs is in this repository. The seed fixes faker's
 * values, but the templates draw their counts (nodes, tags) from {@code Math.random()}, so answers
 * differ from run to run: tests compute what they expect from each body they read.
 */
final class ApiDouble implements AutoCloseable {

  private final Process process;
  private final int port;

  private ApiDouble(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static Path home() {
    String deps = System.getenv("MUSTER_TEST_DEPS");
    Path base =
        deps == null || deps.isBlank()
            ? Path.of(System.getProperty("user.home"), ".cache", "muster-test-deps")
            : Path.of(deps);
    return base.resolve("consul-api-double");
  }

  static ApiDouble start(long seed) throws Exception {
    Path modules = home().resolve("node_modules").resolve("@hashicorp");
    Path renderer = modules.resolve("api-double/bin/index.js");
    if (!Files.isRegularFile(renderer)) {
      throw new IllegalStateException(
          "HashiCorp's consul-api-double is not installed in "
              + home()
              + ": run scripts/install-test-deps");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder(
                "node",
                renderer.toString(),
                "--dir",
                modules.resolve("consul-api-double").toString(),
                "--seed",
                Long.toString(seed),
                "--port",
                Integer.toString(port))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    ApiDouble d = new ApiDouble(p, port);
    try {
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> d.listening());
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  /** Whether the renderer accepts connections (asks nothing, so no faker draw is spent). */
  private boolean listening() throws IOException {
    if (!process.isAlive()) {
      throw new IllegalStateException("api-double exited with " + process.exitValue());
    }
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    }
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  /** One GET, as a test reads a body to check Muster's reading of it. */
  String get(String pathAndQuery) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + address() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    return r.body();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
