package io.muster.backend.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.AgentApi;
import io.muster.testing.BootTogether;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Agents on the DNS backend against a real dnsmasq, booted together and running. */
class DnsFormationIT {

  @RegisterExtension static final Dnsmasq DNS = new Dnsmasq();

  @TempDir Path dir;

  private static String records(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      b.append("127.0.0.")
          .append(i)
          .append(" node")
          .append(i)
          .append(".test.local peers.test.local\n");
    }
    return b.toString();
  }

  @ParameterizedTest(name = "{0} agents, jitter up to {1} ms, {2} trials")
  @CsvSource({"3, 0, 3", "3, 300, 3", "5, 0, 2", "5, 500, 2"})
  void exactlyOneSeedWhenAgentsBootTogether(int n, int jitterMs, int trials) throws Exception {
    DNS.hosts(records(n));
    for (int trial = 0; trial < trials; trial++) {
      try (TestAgents agents =
          DnsAgents.of(DNS, dir.resolve("t" + trial), "peers.test.local", "")) {
        List<Agent> started = new ArrayList<>();
        List<Decision> decisions =
            BootTogether.boot(agents::start, n, jitterMs, "DNS (dnsmasq)", started);
        BootTogether.assertOneCluster(decisions);
      }
    }
  }

  @Test
  void recordsChangedWhileAgentsRunShowUpInPeers() throws Exception {
    DNS.hosts(records(3));
    try (TestAgents agents = DnsAgents.of(DNS, dir, "peers.test.local", "")) {
      List<Agent> started = new ArrayList<>();
      BootTogether.assertOneCluster(
          BootTogether.boot(agents::start, 3, 0, "DNS (dnsmasq)", started));
      DNS.hosts(records(4));
      for (Agent a : started) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(10)))
            .until(() -> AgentApi.peerNames(a.apiPort()).contains("rabbit@node4"));
      }
      DNS.hosts(records(2));
      for (Agent a : started) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(10)))
            .until(
                () ->
                    AgentApi.peerNames(a.apiPort())
                        .equals(List.of("rabbit@node1", "rabbit@node2")));
      }
    }
  }

  @Test
  void nxdomainAndTimeoutsKeepTheLastGoodListFlaggedStale() throws Exception {
    DNS.hosts(records(2));
    try (TestAgents agents = DnsAgents.of(DNS, dir, "peers.test.local", "")) {
      Agent a = agents.start(1);
      agents.start(2);
      a.engine().decision().get(30, TimeUnit.SECONDS);
      List<String> good = List.of("rabbit@node1", "rabbit@node2");
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> AgentApi.peerNames(a.apiPort()).equals(good));

      DNS.hosts(""); // the name is gone: NXDOMAIN
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> AgentApi.stale(a.apiPort()));
      assertThat(AgentApi.peerNames(a.apiPort())).isEqualTo(good);
      assertThat(AgentApi.peers(a.apiPort()).getString("last_error")).contains("NXDOMAIN");

      DNS.hosts(records(2));
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(10)))
          .until(() -> !AgentApi.stale(a.apiPort()));

      DNS.stop(); // no server: time-outs
      try {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(15)))
            .until(
                () ->
                    AgentApi.stale(a.apiPort())
                        && String.valueOf(AgentApi.peers(a.apiPort()).getString("last_error"))
                            .contains("dns peers.test.local"));
        assertThat(AgentApi.peerNames(a.apiPort())).isEqualTo(good);
      } finally {
        DNS.start();
      }
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(15)))
          .until(() -> !AgentApi.stale(a.apiPort()));
    }
  }
}
