package io.muster.api;

import io.muster.exec.StartGate;
import io.muster.formation.core.FormationStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/formation/seed}: whether this node may create or join its database now. RabbitMQ's
 * {@code muster_peer_discovery} module (deploy/rabbitmq) asks it from inside the broker's peer
 * discovery lock, so a joiner boots beside its seed and copies the seed's tables only once the seed
 * has formed. 200 for a seed, a rejoin, or a joiner whose seed has formed; 503 with {@code
 * Retry-After} and what it waits for; 409 when this backend cannot see the seed form. Read-only: no
 * token needed.
 */
final class SeedRoute {

  private final Vertx vertx;
  private final StartGate gate;

  SeedRoute(Vertx vertx, StartGate gate) {
    this.vertx = vertx;
    this.gate = gate;
  }

  void install(Router router) {
    router.get("/v1/formation/seed").handler(this::seed);
  }

  private void seed(RoutingContext ctx) {
    vertx
        .executeBlocking(gate::seedState, false)
        .onComplete(
            r -> {
              if (r.failed()) {
                Problems.send(ctx, 500, "Internal Server Error", r.cause().getMessage());
                return;
              }
              StartGate.SeedState s = r.result();
              JsonObject body = new JsonObject();
              if (s.decision() != null) {
                body.put("action", s.decision().action())
                    .put("seed", s.decision().seed().toString());
              }
              switch (s.status()) {
                case FORMED -> ApiServer.json(ctx, 200, body.put("formed", true));
                case UNOBSERVABLE ->
                    Problems.send(ctx, 409, "Seed Not Observable", s.detail(), body);
                case WAITING -> {
                  ctx.response().putHeader("Retry-After", "1");
                  Problems.send(
                      ctx,
                      503,
                      "Seed Not Formed",
                      FormationStatus.waitingFor(s.detail()),
                      body.put("formed", false).put("waiting_for", s.detail()));
                }
              }
            });
  }
}
