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
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer port (lockless backends only): {@code GET /v1/node}, and in declarative mode {@code GET
 * /v1/cluster-config}, nothing else. A probe names its node in the {@code Muster-Node} header; that
 * node is recorded as discovered in the same step that builds the answer. With a peer secret
 * ({@code muster.peer.secret_file}) a probe must be signed, fresh and new ({@link PeerAuth}):
 * anything else gets 401 and is never recorded as a prober, and every answer is signed for the
 * probe it answers.
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

  /**
   * Declarative mode: the peer port also serves {@code GET /v1/cluster-config}, the config in
   * force, to the agents that see a younger version here than their own (they fetch it, as signed
   * as a probe is); {@code config} gives its JSON.
   */
  public PeerServer serveConfig(Supplier<JsonObject> config, BiConsumer<NodeName, Long> heard) {
    this.config = config;
    this.heard = heard;
    return this;
  }

  private Supplier<JsonObject> config;
  private BiConsumer<NodeName, Long> heard;

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
              if (authorized(ctx, from)) {
                // recorded as a prober only once the probe is known to be genuine
                answer(ctx, local.probedBy(prober).toJson());
                heardOf(prober, ctx.request().getHeader(PeerProber.CONFIG_VERSION_HEADER));
              }
            });
    router
        .get("/v1/cluster-config")
        .handler(
            ctx -> {
              if (config == null) {
                Problems.send(
                    ctx, 404, "Not Found", "this agent runs no declarative cluster config");
              } else if (authorized(ctx, ctx.request().getHeader(PeerProber.FROM_HEADER))) {
                answer(ctx, config.get());
              }
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
    Problems.install(
        router,
        http,
        "the peer port serves GET /v1/node (and GET /v1/cluster-config in declarative mode)",
        "see the agent's log");
    return http.requestHandler(router)
        .listen(port, host)
        .map(
            s -> {
              server = s;
              return s.actualPort();
            });
  }

  /** A prober told the version of its cluster config: a younger one is fetched from it. */
  private void heardOf(NodeName prober, String version) {
    if (heard == null || prober == null || version == null) {
      return;
    }
    try {
      heard.accept(prober, Long.parseLong(version));
    } catch (NumberFormatException e) {
      LOG.debug("Ignored {}: {} from {}", PeerProber.CONFIG_VERSION_HEADER, version, prober);
    }
  }

  /** With a peer secret, whether the request is signed, fresh and new; else it is answered 401. */
  private boolean authorized(RoutingContext ctx, String from) {
    if (auth.isEmpty()) {
      return true;
    }
    HttpServerRequest req = ctx.request();
    Optional<String> refusal =
        auth.get()
            .checkRequest(
                req.method().name(),
                req.path(),
                from,
                req.getHeader(PeerAuth.TIME_HEADER),
                req.getHeader(PeerAuth.NONCE_HEADER),
                req.getHeader(PeerAuth.SIGNATURE_HEADER),
                clock.instant());
    if (refusal.isPresent()) {
      refuse(req, refusal.get());
      Problems.send(ctx, 401, "Unauthorized", "probe refused: " + refusal.get());
      return false;
    }
    return true;
  }

  /** 200 with {@code body}, signed for the request's nonce when there is a peer secret. */
  private void answer(RoutingContext ctx, JsonObject json) {
    if (auth.isEmpty()) {
      ApiServer.json(ctx, 200, json);
      return;
    }
    byte[] body = json.encode().getBytes(StandardCharsets.UTF_8);
    ctx.response()
        .setStatusCode(200)
        .putHeader("Content-Type", "application/json")
        .putHeader(
            PeerAuth.SIGNATURE_HEADER,
            auth.get().signAnswer(ctx.request().getHeader(PeerAuth.NONCE_HEADER), 200, body))
        .end(Buffer.buffer(body));
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
