package io.muster.backend.dns;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.support.DeclaredFactory;
import io.muster.spi.support.KeySet;
import java.time.Duration;
import java.util.List;

/**
 * {@code dns}: peers are the hosts behind a DNS name: its A and AAAA records, each turned into a
 * host name by a reverse (PTR) lookup as RabbitMQ does, or the targets of its SRV records (a
 * Kubernetes headless service). Lockless: parallel boots are resolved by the contact-point rule.
 */
public final class DnsBackendFactory extends DeclaredFactory {

  /** Every key below, in declaration order: what keys() returns. */
  private static final KeySet DECLARED = new KeySet();

  static final Key<String> HOSTNAME =
      DECLARED.add(
          Key.scalar(
              "cluster_formation.dns.hostname",
              DnsSettings.DNS_NAME,
              null,
              "The name to resolve: A/AAAA records (then PTR for each address), or SRV records"));
  static final Key<String> MODE =
      DECLARED.add(
          Key.scalar(
              "muster.dns.mode",
              KeyType.oneOf("auto", "a", "srv"),
              "auto",
              "a: A/AAAA + PTR; srv: SRV targets; auto: SRV when the name starts with '_' (falling"
                  + " back to A/AAAA when it has no SRV records), else A/AAAA"));
  static final Key<List<String>> SERVERS =
      DECLARED.add(
          Key.list(
              "muster.dns.servers",
              DnsSettings.SERVER,
              "DNS servers to ask (host or host:port), in order; default: the system's resolv.conf"));
  static final Key<Duration> TIMEOUT =
      DECLARED.add(
          Key.scalar(
              "muster.dns.timeout",
              KeyType.duration("ms", Duration.ofMillis(100), Duration.ofMinutes(1)),
              Duration.ofSeconds(2),
              "Time-out of one DNS query (UDP; truncated answers are retried over TCP)"));
  static final Key<List<String>> SEARCH =
      DECLARED.add(
          Key.list(
              "muster.dns.search",
              KeyType.HOST_ADDRESS,
              "Search domains for a relative hostname; default: the system's when no servers are"
                  + " given, else none"));

  static final List<Key<?>> KEYS = DECLARED.all();

  public DnsBackendFactory() {
    super(
        "dns",
        List.of("rabbit_peer_discovery_dns"),
        "DNS: A/AAAA records with reverse lookups, or SRV (lockless, contact points).",
        KEYS);
  }

  @Override
  public Backend create(BackendContext context) {
    return new DnsBackend(DnsSettings.from(context.settings()), context.localNode());
  }
}
