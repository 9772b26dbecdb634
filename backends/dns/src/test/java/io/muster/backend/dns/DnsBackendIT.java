package io.muster.backend.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.BackendUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The DNS backend's lookups against a real dnsmasq (and a SERVFAIL responder). */
class DnsBackendIT {

  @RegisterExtension
  static final Dnsmasq DNS =
      new Dnsmasq()
          .config("srv-host=_amqp._tcp.svc.test.local,node2.test.local,5672,0,10")
          .config("srv-host=_amqp._tcp.svc.test.local,node1.test.local,5672,0,10")
          .config("srv-host=_amqp._tcp.svc.test.local,node3.test.local,5672,1,10")
          .config("address=/mixed.test.local/127.0.0.1")
          .config("address=/mixed.test.local/127.0.0.9");

  /** One discovery through dnsmasq (query time-out 500 ms unless {@code extra} sets one). */
  private DiscoveryResult discover(String node, String hostname, String extra) throws Exception {
    return discoverVia(
        DNS.server(),
        node,
        hostname,
        (extra.contains("muster.dns.timeout") ? "" : "muster.dns.timeout = 500ms\n") + extra);
  }

  /** One discovery asking {@code server} (host:port). */
  private static DiscoveryResult discoverVia(
      String server, String node, String hostname, String extra) throws Exception {
    return BackendUnderTest.discoverOnce(
        "muster.node_name = "
            + node
            + "\ncluster_formation.peer_discovery_backend = dns\n"
            + "cluster_formation.dns.hostname = "
            + hostname
            + "\nmuster.dns.servers.1 = "
            + server
            + "\n"
            + extra);
  }

  private static java.util.List<String> names(DiscoveryResult r) {
    assertThat(r).isInstanceOf(DiscoveryResult.Peers.class);
    return ((DiscoveryResult.Peers) r).nodes().stream().map(NodeName::toString).toList();
  }

  @Test
  void aRecordsAreNamedByReverseLookupShortOrLongLikeTheLocalNode() throws Exception {
    DNS.hosts(
        "127.0.0.1 node1.test.local peers.test.local\n127.0.0.2 node2.test.local peers.test.local\n");
    assertThat(names(discover("rabbit@node1", "peers.test.local", "")))
        .containsExactlyInAnyOrder("rabbit@node1", "rabbit@node2");
    assertThat(names(discover("rabbit@node1.test.local", "peers.test.local", "")))
        .containsExactlyInAnyOrder("rabbit@node1.test.local", "rabbit@node2.test.local");
  }

  @Test
  void addressesWithoutReverseRecordsAreSkipped() throws Exception {
    DNS.hosts("127.0.0.1 node1.test.local\n");
    DiscoveryResult r = discover("rabbit@node1", "mixed.test.local", "");
    assertThat(names(r)).containsExactly("rabbit@node1"); // 127.0.0.9 has no PTR
  }

  @Test
  void srvRecordsGiveTheTargetsInPriorityOrderAndAutoModeFallsBackToA() throws Exception {
    assertThat(names(discover("rabbit@node1", "_amqp._tcp.svc.test.local", "")))
        .containsExactly("rabbit@node1", "rabbit@node2", "rabbit@node3");
    DNS.hosts("127.0.0.4 node4.test.local nosrv.test.local\n"); // the service's own name
    assertThat(names(discover("rabbit@node1", "_amqp._tcp.nosrv.test.local", "")))
        .containsExactly("rabbit@node4");
  }

  @Test
  void truncatedUdpAnswersAreRetriedOverTcp() throws Exception {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= 120; i++) {
      b.append("127.1.")
          .append(i / 250)
          .append('.')
          .append(i % 250 + 1)
          .append(" big")
          .append(i)
          .append(".test.local big.test.local\n");
    }
    DNS.hosts(b.toString());
    // 120 A records exceed dnsmasq's 1232-byte UDP answers: the client must retry over TCP.
    assertThat(names(discover("rabbit@node1", "big.test.local", "muster.dns.timeout = 3s\n")))
        .hasSize(120);
  }

  @Test
  void nxdomainServfailAndTimeoutsAreFailuresNeverEmptyLists() throws Exception {
    DNS.hosts("");
    assertThat(discover("rabbit@node1", "gone.test.local", ""))
        .isInstanceOfSatisfying(
            DiscoveryResult.Failure.class, f -> assertThat(f.message()).contains("NXDOMAIN"));
    try (ServfailServer servfail = new ServfailServer()) {
      assertThat(
              discoverVia("127.0.0.1:" + servfail.port(), "rabbit@node1", "peers.test.local", ""))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f -> {
                assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.BAD_RESPONSE);
                assertThat(f.message()).contains("SERVFAIL");
              });
    }
    try (SilentServer silent = new SilentServer()) {
      assertThat(
              discoverVia(
                  "127.0.0.1:" + silent.port(),
                  "rabbit@node1",
                  "peers.test.local",
                  "muster.dns.timeout = 300ms\n"))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f -> assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.TIMEOUT));
    }
  }

  @Test
  void aServerNameThatDoesNotResolveIsAFailedDiscoveryNotACrash() throws Exception {
    assertThat(discoverVia("no-such-dns-server.invalid:53", "rabbit@node1", "peers.test.local", ""))
        .isInstanceOfSatisfying(
            DiscoveryResult.Failure.class,
            f -> assertThat(f.message()).contains("does not resolve"));
  }
}
