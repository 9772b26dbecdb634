package io.muster.backend.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.SecretScan;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: secrets never reach an operator on the k8s backend either. Two pods form with a service
 * account token and a peer secret (both random, distinctive); a third pod with a wrong token is
 * refused by the API (emulator). Every operator view of the three, the captured DEBUG log (each
 * outgoing API request and probe is logged) and {@code muster validate} are scanned for both
 * secrets in every encoding {@link SecretScan} knows.
 */
class K8sSecretsIT {

  @TempDir Path dir;

  @Test
  void theServiceAccountTokenAndThePeerSecretNeverReachAnOperator() throws Exception {
    String token = SecretScan.randomSecret();
    String peerSecret = SecretScan.randomSecret();
    Path secretFile = dir.resolve("cookie");
    Files.writeString(secretFile, peerSecret + "\n");
    try (KubeApiEmulator api = new KubeApiEmulator().start();
        SecretScan scan = SecretScan.forSecrets("k8s-secrets", token, peerSecret).captureLogs()) {
      api.rotateToken(token);
      api.endpoints(
          List.of(
              new KubeApiEmulator.Address("127.0.0.1", "rabbitmq-0", true),
              new KubeApiEmulator.Address("127.0.0.2", "rabbitmq-1", true),
              new KubeApiEmulator.Address("127.0.0.3", "rabbitmq-2", true)));
      String right = api.serviceAccount(dir.resolve("sa"), token);
      String wrong =
          api.serviceAccount(dir.resolve("sa-wrong"), "not-the-token-" + System.nanoTime());
      String secret = "muster.peer.secret_file = " + secretFile + "\n";
      try (TestAgents agents =
          TestAgents.lockless(
              dir,
              i -> "rabbit@127.0.0." + i,
              "k8s",
              i ->
                  (i == 3 ? wrong : right)
                      + secret
                      + "cluster_formation.target_cluster_size_hint = 2\n")) {
        Agent one = agents.start(1);
        Agent two = agents.start(2);
        Agent three = agents.start(3);
        Decision a = one.engine().decision().get(60, TimeUnit.SECONDS);
        Decision b = two.engine().decision().get(60, TimeUnit.SECONDS);
        assertThat(a.clusterId()).isEqualTo(b.clusterId());
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(() -> AgentApi.get(three.apiPort(), "/v1/status").contains("401"));
        for (Agent x : List.of(one, two, three)) {
          scan.operatorViews(x.apiPort(), "1s");
        }
        Path conf = Files.writeString(dir.resolve("validate.conf"), agents.config(1));
        scan.cli("validate", "--config", conf.toString());
      }
      scan.assertClean(20, "rabbit@127.0.0.2", "401");
    }
  }
}
