package io.muster.api;

import io.muster.formation.LocalNode;
import io.muster.formation.PeerProber;
import io.muster.spi.NodeName;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;

/**
 * The peer port (lockless backends only): {@code GET /v1/node}, nothing else. A probe names its
 * node in the {@code Muster-Node} header; that node is recorded as discovered in the same step that
 * builds the answer.
 */
public final class PeerServer {

  private final Vertx vertx;
  private final LocalNode local;
  private HttpServer server;

  public PeerServer(Vertx vertx, LocalNode local) {
    this.vertx = vertx;
    this.local = local;
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
              ApiServer.json(ctx, 200, local.probedBy(prober).toJson());
            });
    HttpServer http = vertx.createHttpServer();
    Problems.install(router, http, "the peer port serves GET /v1/node only", "see the agent's log");
    return http.requestHandler(router)
        .listen(port, host)
        .map(
            s -> {
              server = s;
              return s.actualPort();
            });
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
