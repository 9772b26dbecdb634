package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.formation.Decision;
import io.muster.formation.PeerAuth;
import io.muster.formation.PeerProber;
import io.muster.spi.NodeName;
import io.muster.testing.SecretScan;
import io.muster.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: with {@code muster.peer.secret_file}, agents sharing the secret form a cluster on
 * classic_config, while an unsigned probe, a replayed one and an agent with another secret are
 * refused with 401 and never counted as probers (so none of them can hold back or steer formation).
 */
class PeerAuthIT {

  private static final String SECRET = "shared-erlang-cookie-XYZZY";

  @TempDir Path dir;

  @Test
  void agentsSharingTheSecretFormAndStrangersAreRefusedAndNeverCounted() throws Exception {
    Path secret = dir.resolve("cookie");
    Files.writeString(secret, SECRET + "\n");
    Path other = dir.resolve("other-cookie");
    Files.writeString(other, "a-different-cookie-1234\n");
    String withSecret = "muster.peer.secret_file = " + secret + "\n";
    try (SecretScan scan = SecretScan.forSecrets("peer-secret", SECRET).captureLogs();
        LoopbackAgents agents = new LoopbackAgents(dir, 3)) {
      Agent first = agents.start(1, List.of(1, 2), withSecret);
      HttpClient http = HttpClient.newHttpClient();
      URI node = URI.create("http://127.0.0.1:" + agents.peerPort + "/v1/node");

      HttpResponse<String> unsigned =
          http.send(
              HttpRequest.newBuilder(node)
                  .header(PeerProber.FROM_HEADER, "rabbit@127.0.0.9")
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(unsigned.statusCode()).isEqualTo(401);
      assertThat(unsigned.headers().firstValue("Content-Type"))
          .contains("application/problem+json");
      assertThat(unsigned.body()).contains("unsigned");
      scan.add("unsigned probe's answer", unsigned.body());

      // a probe captured on the wire and sent again
      PeerAuth stolen = PeerAuth.load(secret, "test", "muster.peer.secret_file");
      HttpRequest.Builder signed =
          HttpRequest.newBuilder(node)
              .header(PeerProber.FROM_HEADER, "rabbit@127.0.0.8")
              .timeout(Duration.ofSeconds(5));
      stolen
          .signRequest("GET", "/v1/node", "rabbit@127.0.0.8", java.time.Instant.now())
          .forEach(signed::header);
      HttpRequest once = signed.build();
      assertThat(http.send(once, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      HttpResponse<String> replayed = http.send(once, HttpResponse.BodyHandlers.ofString());
      assertThat(replayed.statusCode()).isEqualTo(401);
      assertThat(replayed.body()).contains("replayed");

      // an agent with another secret: its probes are refused, and it refuses the answers
      Agent stranger = agents.start(3, List.of(1, 3), "muster.peer.secret_file = " + other + "\n");
      Agent second = agents.start(2, List.of(1, 2), withSecret);
      Decision a = first.engine().decision().get(60, TimeUnit.SECONDS);
      Decision b = second.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(List.of(a, b)).filteredOn(d -> d instanceof Decision.Seed).hasSize(1);
      assertThat(a.clusterId()).isEqualTo(b.clusterId());
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(() -> assertThat(stranger.engine().waitingFor()).contains("127.0.0.1"));
      assertThat(stranger.engine().decision()).isNotDone();
      assertThat(first.local().info().discovered())
          .doesNotContain(NodeName.parse("rabbit@127.0.0.9"), NodeName.parse("rabbit@127.0.0.3"))
          .contains(NodeName.parse("rabbit@127.0.0.2"));
      scan.add("replayed probe's answer", replayed.body());
      scan.operatorViews(first.apiPort(), "1s");
      scan.cli("validate", "--config", writeConfig(agents).toString());
      scan.assertClean(10, "Refused a probe", "rabbit@127.0.0.2");
    }
  }

  private Path writeConfig(LoopbackAgents agents) throws java.io.IOException {
    Path conf = dir.resolve("validate.conf");
    Files.writeString(
        conf,
        agents.configText(
            1, List.of(1, 2), "muster.peer.secret_file = " + dir.resolve("cookie") + "\n"));
    return conf;
  }
}
