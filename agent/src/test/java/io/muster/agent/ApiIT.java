package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.cli.Main;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loopback API of one agent whose classic_config lists only itself (it seeds at once). */
class ApiIT {

  @TempDir Path dir;
  private LoopbackAgents agents;
  private Agent agent;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    agents = new LoopbackAgents(dir, 1);
    agent = agents.start(1, List.of(1), "");
  }

  @AfterEach
  void stop() {
    agents.close();
  }

  private HttpResponse<String> call(String method, String path, String accept)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.apiPort() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Issue 19: HEAD answers wherever GET does; a known path with a wrong method is 405 + Allow. */
  @Test
  void headAnswersWhereGetDoesAndAWrongMethodIsNamedWithWhatIsAllowed() throws Exception {
    for (String path : List.of("/v1/status", "/v1/peers", "/health/live", "/metrics")) {
      // on the wire: Java 17's HttpClient reads a body after HEAD when no length is given
      String head = rawHead(path);
      assertThat(head).as("HEAD %s", path).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
      String type = call("GET", path, null).headers().firstValue("Content-Type").orElseThrow();
      assertThat(head).contains("Content-Type: " + type);
    }
    // a request target in absolute form (RFC 9112 3.2.2) is routed as its path: no 500
    String absolute = rawRequest("HEAD http://127.0.0.1/v1/peers?wait=0ms HTTP/1.1");
    assertThat(absolute).startsWith("HTTP/1.1 200 OK\r\n");
    HttpResponse<String> post = call("POST", "/v1/status", null);
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
    assertThat(post.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(post.body()).contains("POST is not served here");
    HttpResponse<String> get = call("GET", "/v1/formation", null);
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).contains("POST");
    assertThat(call("DELETE", "/v1/members", null).headers().firstValue("Allow")).contains("PUT");
    assertThat(call("GET", "/v1/nothing-here", null).statusCode()).isEqualTo(404);
  }

  /** Everything the agent sends back for {@code HEAD path} until it closes the connection. */
  private String rawHead(String path) throws IOException {
    return rawRequest("HEAD " + path + " HTTP/1.1");
  }

  /** Everything the agent sends back for one request line until it closes the connection. */
  private String rawRequest(String requestLine) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", agent.apiPort())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              (requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    }
  }

  @Test
  void peersAnswerAsJsonAndAsPlainTextForScripts() throws Exception {
    HttpResponse<String> json = call("GET", "/v1/peers", null);
    assertThat(json.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(json.body());
    assertThat(body.getJsonArray("peers").getList()).containsExactly("rabbit@127.0.0.1");
    assertThat(body.getBoolean("stale")).isFalse();
    assertThat(body.getString("backend")).isEqualTo("classic_config");

    HttpResponse<String> text = call("GET", "/v1/peers", "text/plain");
    assertThat(text.body()).isEqualTo("rabbit@127.0.0.1\n");
    assertThat(text.headers().firstValue("X-Muster-Index")).isPresent();
  }

  @Test
  void blockingPeersReturnAfterTheWaitWhenNothingChanges() throws Exception {
    long index = new JsonObject(call("GET", "/v1/peers", null).body()).getLong("index");
    HttpResponse<String> r = call("GET", "/v1/peers?index=" + index + "&wait=300ms", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getLong("index")).isEqualTo(index);
    assertThat(call("GET", "/v1/peers?index=x", null).statusCode()).isEqualTo(400);
  }

  @Test
  void formationSeedsCompletesAndRefusesAbortOnceFormed() throws Exception {
    HttpResponse<String> decision = call("POST", "/v1/formation", null);
    assertThat(decision.statusCode()).isEqualTo(200);
    JsonObject d = new JsonObject(decision.body());
    assertThat(d.getString("action")).isEqualTo("seed");
    assertThat(d.getString("seed")).isEqualTo("rabbit@127.0.0.1");
    assertThat(d.getJsonArray("peers").isEmpty()).isTrue();

    HttpResponse<String> complete = call("POST", "/v1/formation/complete", null);
    assertThat(complete.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(complete.body()).getString("cluster_id"))
        .isEqualTo(d.getString("cluster_id"));
    assertThat(call("POST", "/v1/formation/complete", null).statusCode())
        .as("idempotent")
        .isEqualTo(200);
    assertThat(dir.resolve("n1/membership.json")).exists();

    HttpResponse<String> abort = call("POST", "/v1/formation/abort", null);
    assertThat(abort.statusCode()).isEqualTo(409);
    assertThat(abort.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(new JsonObject(abort.body()).getInteger("status")).isEqualTo(409);
  }

  @Test
  void abortBeforeCompletionDecidesAgain() throws Exception {
    String first =
        new JsonObject(call("POST", "/v1/formation", null).body()).getString("cluster_id");
    assertThat(call("POST", "/v1/formation/abort", null).statusCode()).isEqualTo(200);
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .untilAsserted(
            () -> {
              JsonObject again = new JsonObject(call("POST", "/v1/formation?wait=5s", null).body());
              assertThat(again.getString("action")).isEqualTo("seed");
              assertThat(again.getString("cluster_id")).isNotEqualTo(first);
            });
  }

  @Test
  void healthMetricsStatusAndUnknownPaths() throws Exception {
    assertThat(call("GET", "/health/live", null).statusCode()).isEqualTo(200);
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> call("GET", "/health/ready", null).statusCode() == 200);

    HttpResponse<String> metrics = call("GET", "/metrics", null);
    assertThat(metrics.body())
        .contains("muster_peers 1.0")
        .contains("muster_discovery_total{outcome=\"success\"}");

    JsonObject status = new JsonObject(call("GET", "/v1/status", null).body());
    assertThat(status.getString("node")).isEqualTo("rabbit@127.0.0.1");
    assertThat(status.getJsonObject("formation").getString("mode")).contains("contact points");

    HttpResponse<String> missing = call("GET", "/v1/nope", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Content-Type")).contains("application/problem+json");
  }

  @Test
  void statusCommandExplainsTheRunningAgentAndFailsWhenNoneAnswers() throws Exception {
    call("POST", "/v1/formation", null);
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new Main());
    cli.setOut(new java.io.PrintWriter(out, true));
    int code = cli.execute("status", "--api", "127.0.0.1:" + agent.apiPort());
    assertThat(code).isZero();
    assertThat(out.toString())
        .contains("node:         rabbit@127.0.0.1")
        .contains("decision:     seed rabbit@127.0.0.1");

    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cli2 = new picocli.CommandLine(new Main());
    cli2.setErr(new java.io.PrintWriter(err, true));
    assertThat(Main.execute("status", "--api", "127.0.0.1:1")).isEqualTo(1);
  }

  @Test
  void apiBindsLoopbackByDefault() {
    assertThat(agent.engine()).isNotNull();
    assertThat(
            AgentConfig.fromText("x", "muster.node_name = rabbit@a\n", java.util.Map.of())
                .core()
                .apiBind())
        .isEqualTo("127.0.0.1");
  }
}
