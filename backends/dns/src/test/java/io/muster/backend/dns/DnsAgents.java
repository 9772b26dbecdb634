package io.muster.backend.dns;

import io.muster.testing.Ports;
import io.muster.testing.TestAgents;
import java.nio.file.Path;

/**
 * Agents on the DNS backend for tests: node {@code rabbit@nodeI} is 127.0.0.I (src/test/hosts),
 * every agent serves its peer port on its own address, and discovery asks dnsmasq.
 */
final class DnsAgents {

  private DnsAgents() {}

  static TestAgents of(Dnsmasq dns, Path dir, String hostname, String extra) {
    int peerPort = Ports.freeOnLoopbacks(5);
    return new TestAgents(
        dir,
        i ->
            "muster.node_name = rabbit@node"
                + i
                + "\nmuster.api.port = 0\nmuster.peer.port = "
                + peerPort
                + "\nmuster.data_dir = "
                + dir.resolve("n" + i)
                + "\nmuster.stable_margin = 200ms\nmuster.peer.probe_timeout = 1s\n"
                + "muster.discovery.poll_interval = 300ms\n"
                + "cluster_formation.peer_discovery_backend = dns\n"
                + "cluster_formation.dns.hostname = "
                + hostname
                + "\nmuster.dns.servers.1 = "
                + dns.server()
                + "\nmuster.dns.timeout = 500ms\n"
                + "cluster_formation.discovery_retry_interval = 100\n"
                + "cluster_formation.discovery_retry_limit = 100\n"
                + extra);
  }
}
