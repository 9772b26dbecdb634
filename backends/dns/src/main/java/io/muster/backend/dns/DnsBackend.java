package io.muster.backend.dns;

import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.DiscoveryResult.Kind;
import io.muster.spi.NodeName;
import io.muster.spi.support.PeerList;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;
import org.xbill.DNS.lookup.ServerFailedException;

/**
 * Discovery through DNS with dnsjava (configurable servers, real TTLs, SRV and PTR). Every
 * discovery starts from an empty cache, so nothing is cached longer than the poll interval; TTLs
 * are honoured within one discovery. dnsjava retries truncated UDP answers over TCP.
 */
final class DnsBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(DnsBackend.class);

  private final DnsSettings s;
  private final NodeName self;
  private final boolean longNames;
  private volatile Resolver resolver;
  private final List<Name> search;
  private final Name name;

  DnsBackend(DnsSettings s, NodeName self) {
    this.s = s;
    this.self = self;
    // Peers' names follow the local node's: long (host.domain) or short (first label only).
    // (A node named by IP address has a long name, as RabbitMQ requires.)
    this.longNames = self.host().contains(".") || self.host().contains(":");
    this.search = DnsResolvers.searchPath(s);
    try {
      this.name = Name.fromString(s.hostname());
    } catch (TextParseException e) {
      throw new IllegalStateException("cannot parse " + s.hostname(), e);
    }
    LOG.info(
        "dns backend: {} {} via {}, time-out {} ms, search {}, {} node names",
        s.srv() ? "SRV" + (s.aFallback() ? " (A/AAAA fallback)" : "") : "A/AAAA + PTR",
        s.hostname(),
        s.servers().isEmpty() ? "the system resolver" : s.servers(),
        s.timeout().toMillis(),
        search,
        longNames ? "long" : "short");
  }

  /** A fresh session per discovery: nothing outlives one poll. */
  private LookupSession session() {
    Resolver r = resolver;
    if (r == null) {
      r = DnsResolvers.resolver(s);
      resolver = r;
    }
    return LookupSession.builder()
        .resolver(r)
        .searchPath(search)
        .cache(new Cache(DClass.IN))
        .build();
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    LookupSession session;
    try {
      session = session();
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failure(e));
    }
    CompletableFuture<List<String>> hosts = s.srv() ? srv(session) : addressesThenNames(session);
    return hosts
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (list, t) -> {
              if (t != null) {
                return failure(t);
              }
              PeerList peers = new PeerList(self.prefix());
              list.forEach(peers::host);
              if (peers.isEmpty()) {
                return new DiscoveryResult.Failure(
                    Kind.BAD_RESPONSE,
                    "dns " + s.hostname() + ": no usable host names" + peers.leftOut());
              }
              return peers.peers();
            });
  }

  private CompletableFuture<List<String>> srv(LookupSession session) {
    LOG.debug("dns: SRV {}", name);
    return session
        .lookupAsync(name, Type.SRV)
        .toCompletableFuture()
        .thenApply(
            r ->
                r.getRecords().stream()
                    .filter(x -> x instanceof SRVRecord)
                    .map(x -> (SRVRecord) x)
                    .sorted(
                        Comparator.comparingInt(SRVRecord::getPriority)
                            .thenComparing(Comparator.comparingInt(SRVRecord::getWeight).reversed())
                            .thenComparing(x -> x.getTarget().toString()))
                    .map(x -> host(x.getTarget()))
                    .toList())
        .thenCompose(
            targets -> {
              if (targets.isEmpty() && s.aFallback()) {
                return fallback(session);
              }
              return CompletableFuture.completedFuture(targets);
            })
        .exceptionallyCompose(
            t -> {
              Throwable c = BackendFailure.unwrap(t);
              if (s.aFallback()
                  && (c instanceof NoSuchRRSetException || c instanceof NoSuchDomainException)) {
                return fallback(session);
              }
              return CompletableFuture.failedFuture(c);
            });
  }

  /**
   * No SRV records: A/AAAA of the service's own name, i.e. without the {@code _service._proto}
   * labels ({@code _amqp._tcp.rabbitmq.ns.svc} falls back to {@code rabbitmq.ns.svc}).
   */
  private CompletableFuture<List<String>> fallback(LookupSession session) {
    Name target = name;
    while (target.labels() > 1 && target.getLabelString(0).startsWith("_")) {
      target = new Name(target, 1);
    }
    LOG.debug("dns: no SRV records for {}; falling back to A/AAAA of {}", name, target);
    return addressesThenNames(session, target);
  }

  private CompletableFuture<List<String>> addressesThenNames(LookupSession session) {
    return addressesThenNames(session, name);
  }

  private CompletableFuture<List<String>> addressesThenNames(LookupSession session, Name name) {
    CompletableFuture<Addresses> v4 = addresses(session, name, Type.A);
    CompletableFuture<Addresses> v6 = addresses(session, name, Type.AAAA);
    return v4.thenCombine(
            v6,
            (a, b) -> {
              List<InetAddress> all = new ArrayList<>(a.found());
              all.addAll(b.found());
              if (all.isEmpty()) {
                // Some servers say NXDOMAIN for one type and have the other: only "none of
                // either" is a failure, NXDOMAIN if either said so.
                throw new CompletionException(
                    a.noSuchName() || b.noSuchName()
                        ? new NoSuchDomainException(name, Type.A)
                        : new NoSuchRRSetException(name, Type.A));
              }
              return all;
            })
        .thenCompose(
            all -> {
              List<CompletableFuture<String>> names = new ArrayList<>();
              for (InetAddress a : all) {
                names.add(reverse(session, a));
              }
              return CompletableFuture.allOf(names.toArray(CompletableFuture[]::new))
                  .thenApply(
                      x ->
                          names.stream()
                              .map(CompletableFuture::join)
                              .filter(n -> n != null)
                              .toList());
            });
  }

  /** One record type's addresses, and whether the server said the name does not exist. */
  private record Addresses(List<InetAddress> found, boolean noSuchName) {}

  /** One record type's addresses; "none of this type" (NODATA or NXDOMAIN) is an empty list. */
  private CompletableFuture<Addresses> addresses(LookupSession session, Name name, int type) {
    LOG.debug("dns: {} {}", Type.string(type), name);
    return session
        .lookupAsync(name, type)
        .toCompletableFuture()
        .thenApply(r -> new Addresses(toAddresses(r), false))
        .exceptionallyCompose(
            t -> {
              Throwable c = BackendFailure.unwrap(t);
              if (c instanceof NoSuchRRSetException) {
                return CompletableFuture.completedFuture(new Addresses(List.of(), false));
              }
              if (c instanceof NoSuchDomainException) {
                return CompletableFuture.completedFuture(new Addresses(List.of(), true));
              }
              return CompletableFuture.failedFuture(c);
            });
  }

  private static List<InetAddress> toAddresses(LookupResult r) {
    List<InetAddress> out = new ArrayList<>();
    for (Record x : r.getRecords()) {
      if (x instanceof ARecord a) {
        out.add(a.getAddress());
      } else if (x instanceof AAAARecord a) {
        out.add(a.getAddress());
      }
    }
    return out;
  }

  /** The PTR name of an address, or null (logged) when the reverse lookup fails. */
  private CompletableFuture<String> reverse(LookupSession session, InetAddress a) {
    Name ptr = ReverseMap.fromAddress(a);
    LOG.debug("dns: PTR {}", ptr);
    return session
        .lookupAsync(ptr, Type.PTR)
        .toCompletableFuture()
        .thenApply(
            r ->
                r.getRecords().stream()
                    .filter(x -> x instanceof PTRRecord)
                    .map(x -> host(((PTRRecord) x).getTarget()))
                    .findFirst()
                    .orElse(null))
        .exceptionallyCompose(
            t -> {
              Throwable c = BackendFailure.unwrap(t);
              if (c instanceof NoSuchDomainException || c instanceof NoSuchRRSetException) {
                LOG.warn(
                    "Reverse lookup of {} (from {}) found no name ({}); skipping that address",
                    a.getHostAddress(),
                    s.hostname(),
                    describe(c));
                return CompletableFuture.completedFuture(null);
              }
              // Any other error (SERVFAIL, time-out) fails the discovery: dropping the node
              // would publish a shorter list as if it were good.
              return CompletableFuture.failedFuture(c);
            });
  }

  /** The host part for a node name: the first label unless node names are long. */
  private String host(Name target) {
    String full = target.toString(true).toLowerCase(Locale.ROOT);
    if (longNames) {
      return full;
    }
    int dot = full.indexOf('.');
    return dot < 0 ? full : full.substring(0, dot);
  }

  private DiscoveryResult.Failure failure(Throwable t) {
    Throwable c = BackendFailure.unwrap(t);
    Kind kind =
        c instanceof TimeoutException
                || c instanceof IOException && String.valueOf(c.getMessage()).contains("imed out")
            ? Kind.TIMEOUT
            : c instanceof ServerFailedException
                ? Kind.BAD_RESPONSE
                : c instanceof IOException ? Kind.UNREACHABLE : Kind.OTHER;
    return new DiscoveryResult.Failure(
        kind,
        "dns "
            + s.hostname()
            + " via "
            + (s.servers().isEmpty() ? "the system resolver" : s.servers().toString())
            + ": "
            + describe(c));
  }

  private static String describe(Throwable c) {
    if (c instanceof NoSuchDomainException) {
      return "no such name (NXDOMAIN)";
    }
    if (c instanceof NoSuchRRSetException) {
      return "no records of the asked type";
    }
    if (c instanceof ServerFailedException) {
      return "the server failed (SERVFAIL)";
    }
    if (c instanceof TimeoutException) {
      return "no answer in time";
    }
    return BackendFailure.message(c);
  }
}
