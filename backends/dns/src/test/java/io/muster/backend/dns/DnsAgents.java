package io.muster.backend.dns;

import io.muster.testing.TestAgents;
import java.nio.file.Path;

/**
 * Agents on the DNS backend for tests: node {@code rabbit@nodeI} is 127.0.0.I (src/test/hosts),
 * every agent serves its peer port on its own address, and discovery asks dnsmasq.
 */
final class DnsAgents {

  private DnsAgents() {}

  static TestAgents of(Dnsmasq dns, Path dir, String hostname, String extra) {
    return TestAgents.lockless(
        dir,
        i -> "rabbit@node" + i,
        "dns",
        i ->
            "cluster_formation.dns.hostname = "
                + hostname
                + "\nmuster.dns.servers.1 = "
                + dns.server()
                + "\nmuster.dns.timeout = 500ms\n"
                + extra);
  }
}
