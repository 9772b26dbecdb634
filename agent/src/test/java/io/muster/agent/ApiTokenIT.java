package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.ConfigException;
import io.muster.testing.SecretScan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: every container of a pod shares loopback, so with {@code muster.api.token_file} the
 * API's mutating endpoints need the bearer token; read-only ones stay open. A missing or wrong
 * token gets 401 with {@code WWW-Authenticate} and changes nothing.
 */
class ApiTokenIT {

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> call(int port, String method, String path, String auth)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.ofString("PUT".equals(method) ? "[]" : ""))
            .timeout(Duration.ofSeconds(30));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void mutatingEndpointsNeedTheTokenAndReadOnlyOnesStayOpen() throws Exception {
    String token = SecretScan.randomSecret();
    Path file = dir.resolve("api-token");
    Files.writeString(file, token + "\n");
    try (SecretScan scan = SecretScan.forSecrets("api-token", token).captureLogs();
        LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent agent = agents.start(1, List.of(1), "muster.api.token_file = " + file + "\n");
      int port = agent.apiPort();
      agent.engine().decision().get(30, java.util.concurrent.TimeUnit.SECONDS); // it seeds alone
      for (String[] call :
          new String[][] {
            {"POST", "/v1/formation?wait=5s"},
            {"POST", "/v1/formation/complete"},
            {"POST", "/v1/formation/abort"},
            {"PUT", "/v1/members"}
          }) {
        HttpResponse<String> none = call(port, call[0], call[1], null);
        assertThat(none.statusCode()).as("%s %s without a token", call[0], call[1]).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
            .contains("Bearer realm=\"muster\"");
        assertThat(none.body()).contains("muster.api.token_file");
        HttpResponse<String> wrong = call(port, call[0], call[1], "Bearer " + token + "x");
        assertThat(wrong.statusCode())
            .as("%s %s with a wrong token", call[0], call[1])
            .isEqualTo(401);
        scan.add(call[0] + " " + call[1], none.body() + "\n" + wrong.body());
      }
      assertThat(agent.local().info().state())
          .as("nothing completed or aborted without the token")
          .isEqualTo(io.muster.formation.NodeState.FORMING);
      assertThat(call(port, "GET", "/v1/status", null).statusCode()).isEqualTo(200);
      assertThat(call(port, "GET", "/v1/peers", null).statusCode()).isEqualTo(200);
      assertThat(call(port, "GET", "/health/live", null).statusCode()).isEqualTo(200);

      HttpResponse<String> decided =
          call(port, "POST", "/v1/formation?wait=30s", "Bearer " + token);
      assertThat(decided.statusCode()).isEqualTo(200);
      assertThat(decided.body()).contains("\"action\"");
      assertThat(call(port, "POST", "/v1/formation/complete", "Bearer " + token).statusCode())
          .isEqualTo(200);
      scan.operatorViews(port, "1s");
      scan.assertClean(5, "rabbit@127.0.0.1");
    }
  }

  @Test
  void aTokenFileTooShortIsExitTwoWithoutShowingIt() throws Exception {
    Path file = dir.resolve("short-token");
    Files.writeString(file, "tiny\n");
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      String text = agents.configText(1, List.of(1), "muster.api.token_file = " + file + "\n");
      Assertions.assertThatThrownBy(() -> AgentConfig.fromText("t.conf", text, Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("muster.api.token_file")
          .hasMessageContaining("at least 16 bytes")
          .hasMessageNotContaining("tiny");
    }
  }
}
