package io.muster.backend.dns;

import io.muster.testing.TestAgents;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Agents on the DNS backend for tests: node {@code rabbit@nodeI} is 127.0.0.I (src/test/hosts),
 * every agent serves its peer port on its own address, and discovery asks dnsmasq.
 */
final class DnsAgents {

  private DnsAgents() {}

  static TestAgents of(Dnsmasq dns, Path dir, String hostname, String extra) {
    int peerPort = freePortOnAll(5);
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

  /** A port free on 127.0.0.1 .. 127.0.0.maxHost. */
  static int freePortOnAll(int maxHost) {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20000, 60000);
      boolean free = true;
      for (int h = 1; h <= maxHost && free; h++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0." + h, port));
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return port;
      }
    }
    throw new IllegalStateException("no port free on all loopback addresses");
  }
}
