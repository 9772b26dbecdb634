package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EtcdSettingsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static AgentConfig load(String lines) {
    return AgentConfig.fromText(
        "etcd.conf",
        "muster.node_name = rabbit@node1\ncluster_formation.peer_discovery_backend = etcd\n"
            + lines,
        Map.of());
  }

  private static EtcdSettings settings(String lines) {
    return EtcdSettings.from(load(lines).config());
  }

  @Test
  void defaultsAreRabbitMqsDocumentedOnes() {
    EtcdSettings s = settings("");
    assertThat(s.endpoints()).containsExactly(URI.create("http://localhost:2379"));
    assertThat(s.tls()).isFalse();
    assertThat(s.keyPrefix()).isEqualTo("rabbitmq");
    assertThat(s.clusterName()).isEqualTo("default");
    assertThat(s.nodeTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.lockTimeout()).isEqualTo(Duration.ofSeconds(300));
  }

  @Test
  void keyPrefixNodeTtlAndLockWaitTimeAliasAreHonoured() {
    EtcdSettings s =
        settings(
            "cluster_formation.etcd.key_prefix = rabbitmq_discovery\n"
                + "cluster_formation.etcd.node_ttl = 40\n"
                + "cluster_formation.etcd.lock_wait_time = 60\n"
                + "cluster_formation.etcd.cluster_name = staging\n");
    assertThat(s.nodeTtl()).isEqualTo(Duration.ofSeconds(40));
    assertThat(s.lockTimeout()).isEqualTo(Duration.ofSeconds(60));
    EtcdPaths p = new EtcdPaths(s.keyPrefix(), s.clusterName());
    assertThat(p.nodeKey(NodeName.parse("rabbit@hostname1")))
        .isEqualTo(
            "/rabbitmq/discovery/rabbitmq_discovery/clusters/staging/nodes/rabbit@hostname1");
    assertThat(p.lockName())
        .isEqualTo("/rabbitmq/locks/rabbitmq_discovery/clusters/staging/registration");
  }

  @Test
  void endpointsKeepTheirOrderAndLegacyHostPortIsUsedOnlyWithoutThem() {
    assertThat(
            settings(
                    "cluster_formation.etcd.endpoints.1 = one.example.local:2379\n"
                        + "cluster_formation.etcd.endpoints.2 = http://two.example.local:2479\n"
                        + "cluster_formation.etcd.host = ignored.example\n")
                .endpoints())
        .containsExactly(
            URI.create("http://one.example.local:2379"),
            URI.create("http://two.example.local:2479"));
    assertThat(
            settings("cluster_formation.etcd.host = 10.0.0.5\ncluster_formation.etcd.port = 4001\n")
                .endpoints())
        .containsExactly(URI.create("http://10.0.0.5:4001"));
  }

  @Test
  void anySslOptionOrAnHttpsEndpointTurnsTlsOn() {
    assertThat(
            settings(
                    "cluster_formation.etcd.endpoints.1 = e1:2379\n"
                        + "cluster_formation.etcd.ssl_options.versions.1 = tlsv1.3\n")
                .endpoints())
        .containsExactly(URI.create("https://e1:2379"));
    EtcdSettings https = settings("cluster_formation.etcd.endpoints.1 = https://e1:2379\n");
    assertThat(https.tls()).isTrue();
    assertThat(https.tlsOptions().verifyPeer()).as("verification on by default").isTrue();
  }

  @Test
  void legacyHostWithSslOptionsUsesTlsUnlessTheSchemeSaysHttp() {
    assertThat(
            settings(
                    "cluster_formation.etcd.host = etcd.local\n"
                        + "cluster_formation.etcd.ssl_options.verify = verify_none\n")
                .endpoints())
        .containsExactly(URI.create("https://etcd.local:2379"));
    AgentConfig c =
        load(
            "cluster_formation.etcd.scheme = http\n"
                + "cluster_formation.etcd.ssl_options.versions.1 = tlsv1.2\n");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.etcd.scheme");
  }

  @Test
  void usernameWithoutPasswordStopsStartUpNamingTheKeyAndLine() {
    AgentConfig c = load("\ncluster_formation.etcd.username = muster\n");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("etcd.conf:4")
        .hasMessageContaining("cluster_formation.etcd.username")
        .hasMessageContaining("username and password set together");
  }

  @Test
  void execWithoutAWayToResetAWithdrawnSeedsNodeIsWarnedAbout() throws Exception {
    AgentConfig c = load("muster.exec.ready.tcp = 127.0.0.1:5672\n");
    try (io.muster.spi.Backend b = c.createBackend(vertx)) {
      assertThat(c.warnings(b))
          .anySatisfy(
              w ->
                  assertThat(w)
                      .contains("muster.node.reset_command")
                      .contains("cannot reset a node whose seed decision was withdrawn"));
    }
    AgentConfig reset =
        load("muster.exec.ready.tcp = 127.0.0.1:5672\nmuster.node.reset_command = /bin/true\n");
    try (io.muster.spi.Backend b = reset.createBackend(vertx)) {
      assertThat(reset.warnings(b)).noneMatch(w -> w.contains("muster.node.reset_command"));
    }
  }

  @Test
  void mixedHttpAndHttpsEndpointsAreRejected() {
    AgentConfig c =
        load(
            "cluster_formation.etcd.endpoints.1 = https://e1:2379\n"
                + "cluster_formation.etcd.endpoints.2 = http://e2:2379\n");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.etcd.endpoints");
  }

  @Test
  void malformedValuesExitWithTheExpectedShape() {
    assertThatThrownBy(() -> load("cluster_formation.etcd.key_prefix = a/b\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("etcd.conf:3")
        .hasMessageContaining("cluster_formation.etcd.key_prefix");
    assertThatThrownBy(() -> load("cluster_formation.etcd.endpoints.1 = e1\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> load("cluster_formation.etcd.ssl_options.verify = maybe\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("verify_peer");
  }

  @Test
  void passwordsNeverAppearInRedactedConfigOrSettings() {
    AgentConfig c =
        load(
            "cluster_formation.etcd.username = muster\n"
                + "cluster_formation.etcd.password = hunter2-secret\n"
                + "cluster_formation.etcd.ssl_options.password = keypass-secret\n");
    assertThat(c.config().redacted().toString()).doesNotContain("hunter2-secret", "keypass-secret");
    assertThat(EtcdSettings.from(c.config()).toString())
        .doesNotContain("hunter2-secret", "keypass-secret")
        .contains("(set)");
  }
}
