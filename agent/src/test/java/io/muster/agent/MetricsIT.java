package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: what Prometheus scrapes, and where. The health port serves {@code /metrics} too (it is
 * reachable where the API is not, and changes nothing); the agent exports its build, phase and
 * decision as states, when discovery last worked, the decision time as a histogram with buckets,
 * and the JVM's and process's own metrics unless {@code muster.metrics.jvm = false}.
 */
class MetricsIT {

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private String get(int port, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .contains("text/plain; version=0.0.4; charset=utf-8");
    return r.body();
  }

  @Test
  void theHealthPortServesTheAgentsStateAndTheJvmsMetrics() throws Exception {
    int health = Ports.distinct(1, 1)[0];
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent agent =
          agents.start(
              1,
              List.of(1),
              "muster.health.port = "
                  + health
                  + "\nmuster.render.1.template = builtin:plain\nmuster.render.1.destination = "
                  + dir.resolve("peers.txt")
                  + "\n");
      agent.engine().decision().get(30, TimeUnit.SECONDS);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () ->
                  assertThat(get(health, "/metrics"))
                      .contains("muster_phase{phase=\"decided\"} 1.0")
                      .containsPattern("muster_render_total\\{outcome=\"success\"\\} [1-9]"));
      String m = get(health, "/metrics");
      assertThat(m)
          .containsPattern(
              "muster_build_info\\{backend=\"classic_config\",version=\""
                  + java.util.regex.Pattern.quote(Agent.version())
                  + "\"\\} 1(\\.0)?\\n")
          .contains("muster_phase{phase=\"deciding\"} 0.0")
          .contains("muster_decision{action=\"seed\"} 1.0")
          .contains("muster_decision{action=\"none\"} 0.0")
          .contains("muster_formation_decision_seconds_bucket{le=\"1.0\"}")
          .contains("muster_formation_decision_seconds_bucket{le=\"+Inf\"} 1")
          .contains("jvm_memory_used_bytes")
          .contains("process_cpu_usage")
          .contains("process_files_open_files")
          .contains("muster_render_total{outcome=\"failure\"} 0.0");
      double last =
          Double.parseDouble(
              m.lines()
                  .filter(l -> l.startsWith("muster_discovery_last_success_timestamp_seconds "))
                  .findFirst()
                  .orElseThrow()
                  .split(" ")[1]);
      assertThat(last).isGreaterThan(System.currentTimeMillis() / 1000.0 - 120);
      assertThat(get(agent.apiPort(), "/metrics")).contains("muster_build_info");
    }
  }

  @Test
  void theJvmsMetricsCanBeLeftOut() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 1)) {
      Agent agent = agents.start(1, List.of(1), "muster.metrics.jvm = false\n");
      String m = get(agent.apiPort(), "/metrics");
      assertThat(m).contains("muster_build_info").doesNotContain("jvm_memory_used_bytes");
    }
  }
}
