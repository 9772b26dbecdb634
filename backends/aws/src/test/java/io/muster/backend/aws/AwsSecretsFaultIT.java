package io.muster.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.SecretScan;
import io.muster.testing.SecretsRun;
import io.muster.testing.TestAgents;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
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
      SecretsRun run;
      try (right;
          wrong) {
        run = SecretsRun.formed(scan, right, wrong, "60s", "credentials refused");
        run.scanOperatorViews();
        // A typo in the secret key's name (an unknown key holding the secret), the key itself
        // twice, and a bad value on the next line: the problems name lines and keys, not values.
        run.assertValidateRejects(
            dir.resolve("broken.conf"),
            "cluster_formation.aws.secret_kye = " + SECRET_KEY,
            "cluster_formation.aws.secret_key = " + WRONG_SECRET_KEY,
            "muster.aws.min_poll_interval = soon",
            "cluster_formation.proxy.https_proxy = socks5://proxyuser:"
                + PROXY_PASSWORD
                + "@127.0.0.1:1080");

        DiscoveryResult failed = BackendUnderTest.discoverOnce(wrong.config(5));
        assertThat(failed).isInstanceOf(DiscoveryResult.Failure.class);
        scan.add("discover with unknown keys", failed.toString());
        DiscoveryResult failedAsg = BackendUnderTest.discoverOnce(wrong.config(6));
        assertThat(failedAsg).isInstanceOf(DiscoveryResult.Failure.class);
        scan.add("discover an autoscaling group with unknown keys", failedAsg.toString());

        run.stop();
      }
      assertThat(aws.rejectedCalls()).isPositive();
      assertThat(aws.proxiedCalls()).isPositive();
      run.assertClean(
          "aws: DescribeInstances",
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
