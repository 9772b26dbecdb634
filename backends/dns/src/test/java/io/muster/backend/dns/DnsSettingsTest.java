package io.muster.backend.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DnsSettingsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static AgentConfig load(String lines) {
    return AgentConfig.fromText(
        "dns.conf",
        "muster.node_name = rabbit@mq-1\ncluster_formation.peer_discovery_backend = dns\n" + lines,
        Map.of());
  }

  @Test
  void aHostnameIsRequiredAndItsAbsenceNamesTheKey() {
    AgentConfig c = load("");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.dns.hostname")
        .hasMessageContaining("a DNS name to resolve");
  }

  @Test
  void srvNamesSelectSrvModeInAutoAndServersDefaultToPort53() {
    DnsSettings s =
        DnsSettings.from(
            load("cluster_formation.dns.hostname = _amqp._tcp.rabbitmq.default.svc.cluster.local\n"
                    + "muster.dns.servers.1 = 10.0.0.2\n"
                    + "muster.dns.servers.2 = 10.0.0.3:5353\n"
                    + "muster.dns.timeout = 750ms\n")
                .config());
    assertThat(s.srv()).isTrue();
    assertThat(s.aFallback()).isTrue();
    assertThat(s.servers())
        .containsExactly(
            InetSocketAddress.createUnresolved("10.0.0.2", 53),
            InetSocketAddress.createUnresolved("10.0.0.3", 5353));
    assertThat(s.timeout()).isEqualTo(Duration.ofMillis(750));
    DnsSettings a =
        DnsSettings.from(
            load("cluster_formation.dns.hostname = discovery.eng.example.local\n").config());
    assertThat(a.srv()).isFalse();
  }

  @Test
  void malformedNamesAndServersExitWithFileLineAndKey() {
    assertThatThrownBy(() -> load("cluster_formation.dns.hostname = bad name;rm\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dns.conf:3")
        .hasMessageContaining("cluster_formation.dns.hostname");
    assertThatThrownBy(() -> load("muster.dns.servers.1 = 10.0.0.2:99999\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("muster.dns.servers");
    assertThatThrownBy(() -> load("muster.dns.mode = mx\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("one of auto, a, srv");
  }
}
