package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muster.agent.Agent;
import io.muster.spi.Registration;
import io.muster.testing.AgentApi;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.SecretScan;
import io.muster.testing.TestAgents;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets: a real etcd with auth on; agents with the right and a wrong password, one of them a real
 * {@code muster run} process at DEBUG. Nothing an operator can see of the run (logs, API, CLI,
 * error messages) carries either password.
 */
class EtcdSecretsFaultIT {

  private static final String USER = "muster-op";
  private static final String PASSWORD = SecretScan.randomSecret();
  private static final String WRONG = SecretScan.randomSecret();

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  @BeforeAll
  static void enableAuth() throws Exception {
    ETCD.etcdctl("user", "add", "root:" + SecretScan.randomSecret());
    ETCD.etcdctl("role", "add", "muster");
    ETCD.etcdctl("role", "grant-permission", "muster", "--prefix=true", "readwrite", "/rabbitmq/");
    ETCD.etcdctl("user", "add", USER + ":" + PASSWORD);
    ETCD.etcdctl("user", "grant-role", USER, "muster");
    ETCD.etcdctl("auth", "enable");
  }

  private static String auth(String password) {
    return "cluster_formation.etcd.username = "
        + USER
        + "\ncluster_formation.etcd.password = "
        + password
        + "\n";
  }

  @Test
  void neitherTheRightNorAWrongPasswordReachesLogsApiCliOrErrors() throws Exception {
    try (SecretScan scan =
        SecretScan.forSecrets("etcd", PASSWORD, WRONG).withUser(USER).captureLogs()) {
      TestAgents right = EtcdAgents.of(ETCD, dir, "secrets", auth(PASSWORD));
      TestAgents wrong = EtcdAgents.of(ETCD, dir.resolve("wrong"), "secrets", auth(WRONG));
      try (right;
          wrong) {
        Process run =
            right.spawn(
                1,
                Map.of("MUSTER_LOG_LEVEL", "debug"),
                "io.muster.cli.Main",
                "run",
                "--config",
                "{conf}");
        Agent two = right.start(2);
        Agent bad = wrong.start(3);
        int one = right.spawnedApiPort(1);

        JsonObject d1 = new JsonObject(scan.http(one, "POST", "/v1/formation?wait=30s"));
        JsonObject d2 = new JsonObject(scan.http(two.apiPort(), "POST", "/v1/formation?wait=30s"));
        assertThat(d1.getString("action") + "," + d2.getString("action"))
            .isIn("seed,join", "join,seed");
        int seed = "seed".equals(d1.getString("action")) ? one : two.apiPort();
        scan.http(seed, "POST", "/v1/formation/complete");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> AgentApi.get(bad.apiPort(), "/v1/status").contains("authentication"));

        for (int port : new int[] {one, two.apiPort(), bad.apiPort()}) {
          scan.operatorViews(port, "1s");
        }
        scan.cli("validate", "--config", dir.resolve("node1.conf").toString());
        // A typo in the secret key's name (an unknown key holding the password), the key itself
        // twice, and a bad value on the next line: the problems name lines and keys, not values.
        Path broken = dir.resolve("broken.conf");
        Files.writeString(
            broken,
            right.config(4)
                + "cluster_formation.etcd.passwrod = "
                + PASSWORD
                + "\ncluster_formation.etcd.password = "
                + WRONG
                + "\ncluster_formation.etcd.node_ttl = soon\n");
        assertThat(scan.cli("validate", "--config", broken.toString()).code()).isEqualTo(2);

        BackendUnderTest.with(
            wrong.config(5),
            backend -> {
              ExecutionException e =
                  assertThrows(
                      ExecutionException.class,
                      () ->
                          ((Registration) backend)
                              .register()
                              .toCompletableFuture()
                              .get(30, TimeUnit.SECONDS));
              scan.exception("register with a wrong password", e);
              scan.add(
                  "discover with a wrong password",
                  BackendUnderTest.discover(backend, Duration.ofSeconds(10)).toString());
            });

        run.destroy(); // SIGTERM: the spawned agent unregisters and logs its stop
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      scan.file("muster run log (node1)", dir.resolve("node1.log"));
      assertThat(right.log(1)).contains(" DEBUG ").contains("etcd: ");
      scan.assertClean(
          20,
          "(user " + USER + ")",
          ETCD.clientUrl(0),
          "authentication failed",
          "cluster_formation.etcd.password = (redacted)",
          "cluster_formation.etcd.passwrod: unknown key",
          "got \"soon\"",
          "rabbit@node1",
          " DEBUG ");
    }
  }
}
