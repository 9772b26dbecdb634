package io.muster.backend.consul;

import io.muster.testing.SecretScan;
import io.muster.testing.SecretsRun;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets: the Consul emulator with ACLs on; agents with the right and a wrong token (403), one of
 * them a real {@code muster run} process at DEBUG. Nothing an operator can see of the run (logs,
 * API, CLI, error messages) carries either token.
 */
class ConsulSecretsFaultIT {

  private static final String TOKEN = SecretScan.randomSecret();
  private static final String WRONG = SecretScan.randomSecret();

  @TempDir Path dir;

  @Test
  void neitherTheRightNorAWrongAclTokenReachesLogsApiCliOrErrors() throws Exception {
    try (SecretScan scan = SecretScan.forSecrets("consul", TOKEN, WRONG).captureLogs();
        ConsulEmulator consul = new ConsulEmulator(TOKEN).start()) {
      TestAgents right =
          ConsulAgents.of(
              consul.address(), dir, "cluster_formation.consul.acl_token = " + TOKEN + "\n");
      TestAgents wrong =
          ConsulAgents.of(
              consul.address(),
              dir.resolve("wrong"),
              "cluster_formation.consul.acl_token = " + WRONG + "\n");
      SecretsRun run;
      try (right;
          wrong) {
        run = SecretsRun.formed(scan, right, wrong, "30s", "ACL token rejected (403");
        run.scanOperatorViews();
        // A typo in the secret key's name (an unknown key holding the token), the key itself
        // twice, and a bad value on the next line: the problems name lines and keys, not values.
        run.assertValidateRejects(
            dir.resolve("broken.conf"),
            "cluster_formation.consul.acl_tokn = " + TOKEN,
            "cluster_formation.consul.acl_token = " + WRONG,
            "cluster_formation.consul.svc_ttl = soon");
        run.registerFailsAndDiscover(wrong.config(5), "with a wrong token");
        run.stop();
      }
      run.assertClean(
          "consul: PUT /v1/",
          "http://" + consul.address(),
          "ACL token rejected (403",
          "cluster_formation.consul.acl_token = (redacted)",
          "cluster_formation.consul.acl_tokn: unknown key",
          "got \"soon\"",
          "rabbit@node1",
          " DEBUG ");
    }
  }
}
