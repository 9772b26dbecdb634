package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsulSettingsTest {

  private static final NodeName SELF = NodeName.parse("rabbit@mq-1");
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static AgentConfig load(String lines) {
    return AgentConfig.fromText(
        "consul.conf",
        "muster.node_name = rabbit@mq-1\ncluster_formation.peer_discovery_backend = consul\n"
            + lines,
        Map.of());
  }

  private static ConsulSettings settings(String lines) {
    return ConsulSettings.from(load(lines).config(), SELF);
  }

  @Test
  void defaultsAreRabbitMqsDocumentedOnes() {
    ConsulSettings s = settings("");
    assertThat(s.base()).isEqualTo(URI.create("http://localhost:8500"));
    assertThat(s.service()).isEqualTo("rabbitmq");
    assertThat(s.servicePort()).isEqualTo(5672);
    assertThat(s.ttl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.lockTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(s.lockKey()).isEqualTo("rabbitmq/default/startup_lock");
    assertThat(s.includeWarnings()).isFalse();
    assertThat(s.serviceAddress()).isEmpty();
    assertThat(s.deregisterAfter()).isEmpty();
  }

  @Test
  void lockWaitTimeIsAnAliasAndSessionsNeverGoBelowConsulsMinimum() {
    ConsulSettings s =
        settings(
            "cluster_formation.consul.lock_wait_time = 60\n"
                + "cluster_formation.consul.svc_ttl = 4\n"
                + "cluster_formation.consul.lock_prefix = environments-qa\n");
    assertThat(s.lockTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.sessionTtl()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.lockKey()).isEqualTo("environments-qa/default/startup_lock");
  }

  @Test
  void serviceAddressIsGivenOrComputedFromTheNodeName() {
    assertThat(
            settings(
                    "cluster_formation.consul.svc_addr_auto = false\n"
                        + "cluster_formation.consul.svc_addr = hostname1.rmq.example.local\n")
                .serviceAddress())
        .contains("hostname1.rmq.example.local");
    ConsulSettings auto = settings("cluster_formation.consul.svc_addr_auto = true\n");
    assertThat(auto.serviceAddress()).contains("mq-1");
    assertThat(auto.serviceId()).isEqualTo("rabbitmq:mq-1");
  }

  @Test
  void deregisterAfterBelowConsulsMinuteAndTlsOptionsOverHttpAreRejected() {
    assertThatThrownBy(() -> load("cluster_formation.consul.deregister_after = 30\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("consul.conf:3")
        .hasMessageContaining("deregister_after");
    AgentConfig c = load("cluster_formation.consul.ssl_options.verify = verify_none\n");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.consul.scheme");
  }

  @Test
  void aclTokenNeverAppearsInRedactedConfigOrSettings() {
    AgentConfig c = load("cluster_formation.consul.acl_token = s3cr3t-token-value\n");
    assertThat(c.config().redacted().toString()).doesNotContain("s3cr3t-token-value");
    assertThat(ConsulSettings.from(c.config(), SELF).toString())
        .doesNotContain("s3cr3t-token-value")
        .contains("(set)");
  }

  private static JsonObject entry(
      String id, String address, String metaName, long create, String... statuses) {
    JsonArray checks = new JsonArray();
    for (String st : statuses) {
      checks.add(new JsonObject().put("Status", st));
    }
    JsonObject meta =
        metaName == null ? new JsonObject() : new JsonObject().put("erlang-node-name", metaName);
    return new JsonObject()
        .put("Node", new JsonObject().put("Node", "agent-node"))
        .put(
            "Service",
            new JsonObject()
                .put("ID", id)
                .put("Address", address)
                .put("Meta", meta)
                .put("CreateIndex", create))
        .put("Checks", checks);
  }

  @Test
  void peersAreHealthyInstancesOldestFirstNamedByMetaOrAddressAndGarbageIsRejected() {
    ConsulBackend b =
        new ConsulBackend(
            settings("cluster_formation.consul.domain_suffix = node.example.local\n"), SELF, vertx);
    JsonArray answer =
        new JsonArray()
            .add(entry("b", "10.0.0.2", null, 20, "passing", "passing"))
            .add(entry("a", "", "rabbit@mq-0", 10, "passing"))
            .add(entry("w", "10.0.0.3", null, 5, "passing", "warning"))
            .add(entry("x", "", "rabbit@evil;rm -rf /", 30, "passing"));
    DiscoveryResult.Peers p = b.peers(answer);
    assertThat(p.nodes())
        .extracting(NodeName::toString)
        // a service address is taken as it is: the suffix is only for Consul node names
        .containsExactly("rabbit@mq-0", "rabbit@10.0.0.2");
    assertThat(p.rejected()).containsExactly("rabbit@evil;rm -rf /");
    assertThat(p.dropped()).containsExactly("rabbit@10.0.0.3: check '?' is warning");
    b.close();
  }
}
