package io.muster.backend.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.muster.spi.InvalidSettingException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the jetcd client from the settings, on the agent's Vert.x. */
final class EtcdClients {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdClients.class);

  /** Bound on one etcd call (a put, a grant, a read); the lock wait has its own lock_timeout. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** jetcd's default wait for a keepalive answer; lowered to node_ttl when that is shorter. */
  private static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);

  private EtcdClients() {}

  /**
   * Endpoints are shuffled and handed to gRPC's {@code pick_first} policy: the first reachable one
   * of a random order is used, the next one when it fails (RabbitMQ's documented behaviour, with
   * fail-over on top).
   */
  static Client create(EtcdSettings s, Vertx vertx, ExecutorService executor) {
    List<URI> order = new ArrayList<>(s.endpoints());
    Collections.shuffle(order);
    ClientBuilder b =
        Client.builder()
            .vertx(vertx)
            .executorService(executor)
            .endpoints(order)
            .loadBalancerPolicy("pick_first")
            .connectTimeout(Duration.ofSeconds(5))
            // jetcd gives a lease whose first keepalive is never answered keepaliveTimeout (10 s by
            // default) before declaring it lost, however short its TTL: a lock lease (always
            // young) or a node key granted just before etcd went away would be believed alive
            // long after etcd dropped it. Bounded by the TTL, as for an answered lease. (It also
            // bounds gRPC's HTTP/2 ping answer, sent every 30 s.)
            .keepaliveTimeout(
                KEEPALIVE_TIMEOUT.compareTo(s.nodeTtl()) < 0 ? KEEPALIVE_TIMEOUT : s.nodeTtl())
            // Fail fast while etcd is down: the engine retries with jittered backoff and
            // reports the stale list, instead of calls queueing silently.
            .waitForReady(false);
    s.username().ifPresent(u -> b.user(EtcdPaths.bytes(u)));
    s.password().ifPresent(p -> b.password(EtcdPaths.bytes(p)));
    if (s.tls()) {
      b.sslContext(sslContext(s.tlsOptions()));
      s.tlsOptions().serverName().ifPresent(b::authority);
    }
    LOG.debug("etcd client for {} (tls {}), order {}", s.endpointList(), s.tls(), order);
    return b.build();
  }

  /** jetcd's callback threads; owned by the backend (jetcd would leave its own pool running). */
  static ExecutorService executor() {
    AtomicInteger n = new AtomicInteger();
    return Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, "etcd-client-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  static SslContext sslContext(EtcdSettings.Tls tls) {
    try {
      SslContextBuilder ssl = GrpcSslContexts.forClient();
      if (!tls.verifyPeer()) {
        LOG.warn(
            "cluster_formation.etcd.ssl_options.verify = verify_none: etcd's certificate is NOT"
                + " verified; anyone on the path can impersonate etcd");
        ssl.trustManager(InsecureTrustManagerFactory.INSTANCE);
      } else if (tls.caCert().isPresent()) {
        ssl.trustManager(tls.caCert().get().toFile());
      }
      if (tls.cert().isPresent()) {
        ssl.keyManager(
            tls.cert().get().toFile(),
            tls.key().orElseThrow().toFile(),
            tls.keyPassword().orElse(null));
      }
      if (!tls.versions().isEmpty()) {
        ssl.protocols(
            tls.versions().stream()
                .map(v -> "TLSv" + v.substring(4).toUpperCase(Locale.ROOT))
                .toList());
      }
      if (!tls.ciphers().isEmpty()) {
        ssl.ciphers(tls.ciphers());
      }
      return ssl.build();
    } catch (SSLException | IllegalArgumentException e) {
      // A certificate or key Java cannot read is a config error: exit 2 naming the key.
      String why = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      throw new InvalidSettingException(
          !tls.ciphers().isEmpty() && why.contains("cipher")
              ? EtcdBackendFactory.CIPHERS
              : !tls.versions().isEmpty() && why.contains("protocol")
                  ? EtcdBackendFactory.VERSIONS
                  : tls.cert().isPresent()
                      ? EtcdBackendFactory.KEYFILE
                      : EtcdBackendFactory.CACERTFILE,
          "PEM files Java can read (keys in PKCS#8: openssl pkcs8 -topk8); " + e.getMessage());
    }
  }
}
