package io.muster.api;

import io.muster.formation.PeerAuth;
import io.muster.formation.PeerProber;
import io.muster.formation.PeerTls;
import io.muster.formation.engine.LocalNode;
import io.muster.spi.NodeName;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer port (lockless backends only): {@code GET /v1/node}, nothing else. A probe names its
 * node in the {@code Muster-Node} header; that node is recorded as discovered in the same step that
 * builds the answer. With a peer secret ({@code muster.peer.secret_file}) a probe must be signed,
 * fresh and new ({@link PeerAuth}): anything else gets 401 and is never recorded as a prober, and
 * every answer is signed for the probe it answers.
 */
public final class PeerServer {

  private static final Logger LOG = LoggerFactory.getLogger(PeerServer.class);

  /** Refusals are logged at warn at most this often (a scanner must not flood the log). */
  private static final Duration WARN_EVERY = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final LocalNode local;
  private final Optional<PeerAuth> auth;
  private final Clock clock;
  private final AtomicLong refused = new AtomicLong();
  private volatile Instant lastWarned = Instant.EPOCH;
  private HttpServer server;

  /**
   * With {@code auth}, probes must be signed and answers are; with {@code tls}, the port speaks
   * only TLS and requires a client certificate of the CA.
   */
  public PeerServer(
      Vertx vertx, LocalNode local, Optional<PeerAuth> auth, Clock clock, Optional<PeerTls> tls) {
    this.vertx = vertx;
    this.local = local;
    this.auth = auth;
    this.clock = clock;
    this.tls = tls;
  }

  private final Optional<PeerTls> tls;

  /** Reads the certificate files again (rotation); completes true when they were taken. */
  public Future<Boolean> reloadTls() {
    if (server == null || tls.isEmpty()) {
      return Future.succeededFuture(false);
    }
    return server.updateSSLOptions(tls.get().serverOptions(), true);
  }

  /** Probes refused since start (unsigned, forged, stale or replayed). */
  public long refused() {
    return refused.get();
  }

  public Future<Integer> listen(String host, int port) {
    Router router = Router.router(vertx);
    router
        .get("/v1/node")
        .handler(
            ctx -> {
              String from = ctx.request().getHeader(PeerProber.FROM_HEADER);
              NodeName prober = null;
              if (from != null) {
                try {
                  prober = NodeName.parse(from);
                } catch (IllegalArgumentException e) {
                  Problems.send(
                      ctx, 400, "Bad Request", PeerProber.FROM_HEADER + ": " + e.getMessage());
                  return;
                }
              }
              if (auth.isEmpty()) {
                ApiServer.json(ctx, 200, local.probedBy(prober).toJson());
                return;
              }
              HttpServerRequest req = ctx.request();
              String nonce = req.getHeader(PeerAuth.NONCE_HEADER);
              Optional<String> refusal =
                  auth.get()
                      .checkRequest(
                          req.method().name(),
                          req.path(),
                          from,
                          req.getHeader(PeerAuth.TIME_HEADER),
                          nonce,
                          req.getHeader(PeerAuth.SIGNATURE_HEADER),
                          clock.instant());
              if (refusal.isPresent()) {
                refuse(req, refusal.get());
                Problems.send(ctx, 401, "Unauthorized", "probe refused: " + refusal.get());
                return;
              }
              byte[] body =
                  local.probedBy(prober).toJson().encode().getBytes(StandardCharsets.UTF_8);
              ctx.response()
                  .setStatusCode(200)
                  .putHeader("Content-Type", "application/json")
                  .putHeader(PeerAuth.SIGNATURE_HEADER, auth.get().signAnswer(nonce, 200, body))
                  .end(Buffer.buffer(body));
            });
    HttpServerOptions options = new HttpServerOptions();
    tls.ifPresent(
        t -> {
          ServerSSLOptions ssl = t.serverOptions();
          options
              .setSsl(true)
              .setKeyCertOptions(ssl.getKeyCertOptions())
              .setTrustOptions(ssl.getTrustOptions())
              .setClientAuth(ssl.getClientAuth());
        });
    HttpServer http = vertx.createHttpServer(options);
    Problems.install(router, http, "the peer port serves GET /v1/node only", "see the agent's log");
    return http.requestHandler(router)
        .listen(port, host)
        .map(
            s -> {
              server = s;
              return s.actualPort();
            });
  }

  private void refuse(HttpServerRequest req, String why) {
    refused.incrementAndGet();
    Instant now = clock.instant();
    String from = req.remoteAddress() == null ? "?" : req.remoteAddress().hostAddress();
    if (Duration.between(lastWarned, now).compareTo(WARN_EVERY) >= 0) {
      lastWarned = now;
      LOG.warn(
          "Refused a probe from {} on the peer port: {} ({} refused since start; further"
              + " refusals within {} s are logged at debug)",
          from,
          why,
          refused.get(),
          WARN_EVERY.toSeconds());
    } else {
      LOG.debug("Refused a probe from {} on the peer port: {}", from, why);
    }
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
