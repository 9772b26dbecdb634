package io.muster.backend.etcd;

import io.muster.testing.SecretScan;
import io.muster.testing.SecretsRun;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
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
      SecretsRun run;
      try (right;
          wrong) {
        run = SecretsRun.formed(scan, right, wrong, "30s", "authentication");
        run.scanOperatorViews();
        // A typo in the secret key's name (an unknown key holding the password), the key itself
        // twice, and a bad value on the next line: the problems name lines and keys, not values.
        run.assertValidateRejects(
            dir.resolve("broken.conf"),
            "cluster_formation.etcd.passwrod = " + PASSWORD,
            "cluster_formation.etcd.password = " + WRONG,
            "cluster_formation.etcd.node_ttl = soon");
        run.registerFailsAndDiscover(wrong.config(5), "with a wrong password");
        run.stop();
      }
      run.assertClean(
          "etcd: ",
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
