package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.spi.DiscoveryResult;
import io.muster.testing.AgentApi;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real etcd that speaks TLS only, requires client certificates, and has user/password auth on
 * with a role limited to /rabbitmq/.
 */
class EtcdTlsAuthIT {

  private static final TestCerts CERTS = new TestCerts();
  private static final String PASSWORD = "s3kR37-Pa55";

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.tls(CERTS);

  @TempDir Path dir;

  @BeforeAll
  static void enableAuth() throws Exception {
    ETCD.etcdctl("user", "add", "root:root-pw");
    ETCD.etcdctl("role", "add", "muster");
    ETCD.etcdctl("role", "grant-permission", "muster", "--prefix=true", "readwrite", "/rabbitmq/");
    ETCD.etcdctl("user", "add", "muster:" + PASSWORD);
    ETCD.etcdctl("user", "grant-role", "muster", "muster");
    ETCD.etcdctl("auth", "enable");
  }

  private String tls(String password) {
    return "cluster_formation.etcd.ssl_options.cacertfile = "
        + CERTS.ca()
        + "\ncluster_formation.etcd.ssl_options.certfile = "
        + CERTS.clientCert()
        + "\ncluster_formation.etcd.ssl_options.keyfile = "
        + CERTS.clientKey()
        + "\ncluster_formation.etcd.ssl_options.verify = verify_peer"
        + "\ncluster_formation.etcd.username = muster"
        + "\ncluster_formation.etcd.password = "
        + password
        + "\n";
  }

  /**
   * Runs {@code body} with the etcd backend for node {@code i}'s config, on a Vert.x of its own.
   */
  private static void withBackend(TestAgents agents, int i, BackendUnderTest.Check body)
      throws Exception {
    BackendUnderTest.with(agents.config(i), body);
  }

  @Test
  void agentWithClientCertificateAndPasswordRegistersAndSeeds() throws Exception {
    try (TestAgents agents = EtcdAgents.of(ETCD, dir, "tls", tls(PASSWORD))) {
      Agent a = agents.start(1);
      assertThat(a.engine().decision().get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Seed.class);
      assertThat(
              ETCD.etcdctl(
                  "--user",
                  "root:root-pw",
                  "get",
                  "--prefix",
                  "--keys-only",
                  "/rabbitmq/discovery/rabbitmq/clusters/tls/nodes/"))
          .contains("rabbit@node1");
      assertThat(AgentApi.get(a.apiPort(), "/v1/status")).doesNotContain(PASSWORD);
    }
  }

  @Test
  void wrongPasswordIsReportedWithTheEndpointAndNeverThePassword() throws Exception {
    String wrong = "not-the-Pa55word";
    TestAgents agents = EtcdAgents.of(ETCD, dir, "tls", tls(wrong));
    withBackend(
        agents,
        1,
        backend -> {
          ExecutionException e = BackendUnderTest.registerFails(backend);
          assertThat(e.getCause().getMessage())
              .contains(ETCD.clientUrl(0))
              .contains("user muster")
              .contains("authentication failed")
              .doesNotContain(wrong);
          DiscoveryResult r =
              backend
                  .discover(Duration.ofSeconds(10))
                  .toCompletableFuture()
                  .get(30, TimeUnit.SECONDS);
          assertThat(r)
              .isInstanceOfSatisfying(
                  DiscoveryResult.Failure.class,
                  f -> {
                    assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.AUTH);
                    assertThat(f.message()).contains(ETCD.clientUrl(0)).doesNotContain(wrong);
                  });
        });
    try (agents) {
      Agent a = agents.start(2);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .until(() -> AgentApi.get(a.apiPort(), "/v1/status").contains("authentication failed"));
      assertThat(AgentApi.get(a.apiPort(), "/v1/status")).doesNotContain(wrong);
      assertThat(a.engine().decision()).isNotDone();
    }
  }

  @Test
  void serverCertificateFromAnotherCaIsRefused() throws Exception {
    String untrusted =
        "cluster_formation.etcd.ssl_options.certfile = "
            + CERTS.clientCert()
            + "\ncluster_formation.etcd.ssl_options.keyfile = "
            + CERTS.clientKey()
            + "\ncluster_formation.etcd.username = muster\ncluster_formation.etcd.password = "
            + PASSWORD
            + "\n";
    TestAgents agents = EtcdAgents.of(ETCD, dir, "tls", untrusted);
    withBackend(
        agents,
        3,
        backend -> {
          DiscoveryResult r =
              backend
                  .discover(Duration.ofSeconds(10))
                  .toCompletableFuture()
                  .get(30, TimeUnit.SECONDS);
          assertThat(r)
              .isInstanceOfSatisfying(
                  DiscoveryResult.Failure.class,
                  f -> {
                    System.out.println("[untrusted] " + f.message());
                    assertThat(f.message()).contains(ETCD.clientUrl(0)).doesNotContain(PASSWORD);
                  });
        });
  }
}
