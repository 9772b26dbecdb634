package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.formation.PeerProber;
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
 * Issue 18, defect 8: one request to a booting agent's peer port naming a node that does not exist
 * left it waiting for that node forever (it counted as known and never answered). A prober that
 * stops probing and that no discovery lists is now forgotten after a few rounds; this test waited
 * forever before (its 30 s bound failed).
 */
class GhostProberIT {

  @TempDir Path dir;

  @Test
  void aGhostProberIsForgottenAndTheRealNodesForm() throws Exception {
    try (LoopbackAgents agents = new LoopbackAgents(dir, 2)) {
      Agent first = agents.start(1, List.of(1, 2), "");
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + agents.peerPort + "/v1/node"))
                      .header(PeerProber.FROM_HEADER, "rabbit@127.0.0.9")
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(first.local().info().discovered())
          .contains(io.muster.spi.NodeName.parse("rabbit@127.0.0.9"));
      Agent second = agents.start(2, List.of(1, 2), "");
      Decision a = first.engine().decision().get(30, TimeUnit.SECONDS);
      Decision b = second.engine().decision().get(30, TimeUnit.SECONDS);
      assertThat(List.of(a, b)).filteredOn(d -> d instanceof Decision.Seed).hasSize(1);
      assertThat(a.clusterId()).isEqualTo(b.clusterId());
      assertThat(first.local().info().discovered())
          .as("the ghost is forgotten")
          .doesNotContain(io.muster.spi.NodeName.parse("rabbit@127.0.0.9"));
    }
  }
}
