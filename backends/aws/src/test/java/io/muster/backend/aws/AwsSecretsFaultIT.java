package io.muster.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.spi.DiscoveryResult;
import io.muster.testing.AgentApi;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.SecretScan;
import io.muster.testing.TestAgents;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets: the AWS emulator accepting one access key; agents with the right keys and with unknown
 * ones (401 AuthFailure), one of them a real {@code muster run} process at DEBUG. Nothing an
 * operator can see of the run (logs, API, CLI, error messages) carries either secret key.
 */
class AwsSecretsFaultIT {

  private static final String KEY_ID = "AKIASECRETSCAN000001";
  private static final String SECRET_KEY = SecretScan.randomSecret();
  private static final String WRONG_SECRET_KEY = SecretScan.randomSecret();
  private static final String PROXY_PASSWORD = SecretScan.randomSecret();
  private static final Map<String, String> TAGS = Map.of("service", "rabbitmq");
  private static final String BY_TAGS = "cluster_formation.aws.instance_tags.service = rabbitmq\n";

  @TempDir Path dir;

  @Test
  void neitherTheRightNorAWrongSecretKeyReachesLogsApiCliOrErrors() throws Exception {
    try (SecretScan scan =
            SecretScan.forSecrets("aws", SECRET_KEY, WRONG_SECRET_KEY, PROXY_PASSWORD)
                .withUser(KEY_ID)
                .withUser("proxyuser")
                .captureLogs();
        AwsEmulator aws = new AwsEmulator().start().requireAccessKey(KEY_ID)) {
      aws.instance(AwsAgents.instance(1, "running", TAGS));
      aws.instance(AwsAgents.instance(2, "running", TAGS));
      // The right agents reach EC2 through a proxy whose URL carries a user and password (the
      // emulator's EC2 server also plays the proxy).
      String proxy =
          aws.endpoint()
              .replace(
                  "://",
                  "://proxyuser:"
                      + URLEncoder.encode(PROXY_PASSWORD, StandardCharsets.UTF_8)
                      + "@");
      TestAgents right =
          AwsAgents.of(
              aws,
              dir,
              KEY_ID,
              SECRET_KEY,
              BY_TAGS + "cluster_formation.proxy.http_proxy = " + proxy + "\n",
              i -> "");
      String imds = aws.imdsFor(AwsAgents.instanceId(1));
      TestAgents wrong =
          AwsAgents.of(
              aws,
              dir.resolve("wrong"),
              "AKIAUNKNOWN000000000",
              WRONG_SECRET_KEY,
              BY_TAGS,
              i ->
                  i == 6
                      ? "cluster_formation.aws.use_autoscaling_group = true\n"
                          + "muster.aws.imds_endpoint = "
                          + imds
                          + "\n"
                      : "");
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

        JsonObject d1 = new JsonObject(scan.http(one, "POST", "/v1/formation?wait=60s"));
        JsonObject d2 = new JsonObject(scan.http(two.apiPort(), "POST", "/v1/formation?wait=60s"));
        assertThat(d1.getString("action") + "," + d2.getString("action"))
            .isIn("seed,join", "join,seed");
        int seed = "seed".equals(d1.getString("action")) ? one : two.apiPort();
        scan.http(seed, "POST", "/v1/formation/complete");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> AgentApi.get(bad.apiPort(), "/v1/status").contains("credentials refused"));

        for (int port : new int[] {one, two.apiPort(), bad.apiPort()}) {
          scan.operatorViews(port, "1s");
        }
        scan.cli("validate", "--config", dir.resolve("node1.conf").toString());
        // A typo in the secret key's name (an unknown key holding the secret), the key itself
        // twice, and a bad value on the next line: the problems name lines and keys, not values.
        Path broken = dir.resolve("broken.conf");
        Files.writeString(
            broken,
            right.config(4)
                + "cluster_formation.aws.secret_kye = "
                + SECRET_KEY
                + "\ncluster_formation.aws.secret_key = "
                + WRONG_SECRET_KEY
                + "\nmuster.aws.min_poll_interval = soon"
                + "\ncluster_formation.proxy.https_proxy = socks5://proxyuser:"
                + PROXY_PASSWORD
                + "@127.0.0.1:1080\n");
        assertThat(scan.cli("validate", "--config", broken.toString()).code()).isEqualTo(2);

        DiscoveryResult failed = BackendUnderTest.discoverOnce(wrong.config(5));
        assertThat(failed).isInstanceOf(DiscoveryResult.Failure.class);
        scan.add("discover with unknown keys", failed.toString());
        DiscoveryResult failedAsg = BackendUnderTest.discoverOnce(wrong.config(6));
        assertThat(failedAsg).isInstanceOf(DiscoveryResult.Failure.class);
        scan.add("discover an autoscaling group with unknown keys", failedAsg.toString());

        run.destroy(); // SIGTERM: the spawned agent logs its stop
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(aws.rejectedCalls()).isPositive();
      assertThat(aws.proxiedCalls()).isPositive();
      scan.file("muster run log (node1)", dir.resolve("node1.log"));
      assertThat(right.log(1)).contains(" DEBUG ").contains("aws: DescribeInstances");
      scan.assertClean(
          20,
          aws.endpoint(),
          "aws: HTTP 401: credentials refused",
          "InvalidClientTokenId (HTTP 403): The security token included in the request is invalid.",
          "cluster_formation.aws.secret_key = (redacted)",
          "\"cluster_formation.proxy.http_proxy\" : \"http://proxyuser:(redacted)@127.0.0.1:",
          "got \"socks5://proxyuser:(redacted)@127.0.0.1:1080\"",
          "cluster_formation.aws.secret_kye: unknown key",
          "got \"soon\"",
          "rabbit@127.0.0.1",
          " DEBUG ");
    }
  }
}
