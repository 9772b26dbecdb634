package io.muster.api;

import io.muster.exec.StartGate;
import io.muster.formation.core.FormationStatus;
import io.muster.formation.core.Phase;
import io.muster.formation.engine.FormationEngine;
import io.muster.metrics.AgentMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * {@code GET /health/live|ready|started} and {@code /metrics}: read-only, served on the API and on
 * the health port ({@code muster.health.port}), where a kubelet's probes and Prometheus reach them.
 * Nothing here changes formation.
 */
final class HealthRoutes {

  private final Vertx vertx;
  private final FormationEngine engine;
  private final StartGate gate;
  private final AgentMetrics metrics;

  HealthRoutes(Vertx vertx, FormationEngine engine, StartGate gate, AgentMetrics metrics) {
    this.vertx = vertx;
    this.engine = engine;
    this.gate = gate;
    this.metrics = metrics;
  }

  /** Adds the health endpoints and {@code /metrics} to {@code router}. */
  void install(Router router) {
    // Prometheus scrapes here too: the health port is reachable where the API is not, and it
    // serves nothing that changes formation
    router
        .get("/metrics")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .end(metrics.scrape()));
    router.get("/health/live").handler(this::live);
    router.get("/health/ready").handler(this::ready);
    router.get("/health/started").handler(this::started);
  }

  /**
   * {@code GET /health/started}: 200 once the node may start (decision taken, seed formed when
   * {@code join_when = seed_ready} asks for it, files rendered), else 503 with what it waits for.
   * For a startup probe that holds the server's container back until then.
   */
  private void started(RoutingContext ctx) {
    vertx
        .executeBlocking(gate::check, false)
        .onComplete(
            r -> {
              if (r.failed()) {
                Problems.send(ctx, 500, "Internal Server Error", r.cause().getMessage());
                return;
              }
              StartGate.State state = r.result();
              if (state.open()) {
                ApiServer.json(ctx, 200, new JsonObject().put("status", "started"));
              } else {
                Problems.send(
                    ctx,
                    503,
                    "Not Started",
                    FormationStatus.waitingFor(state.waitingFor()),
                    new JsonObject().put("waiting_for", state.waitingFor()));
              }
            });
  }

  /**
   * Alive unless formation failed for good (formation.md step 7): then nothing keeps the peer list
   * fresh or answers the node, and only a restart helps, which is what a failing liveness probe
   * asks of a supervisor.
   */
  private void live(RoutingContext ctx) {
    FormationStatus f = engine.status();
    if (f.phase() == Phase.FAILED) {
      Problems.send(
          ctx,
          503,
          "Formation Failed",
          "formation failed and will not continue: " + f.failure(),
          new JsonObject().put("phase", "failed").put("failure", f.failure()));
      return;
    }
    ApiServer.json(ctx, 200, new JsonObject().put("status", "up"));
  }

  private void ready(RoutingContext ctx) {
    if (engine.status().phase() == Phase.FAILED) {
      Problems.send(
          ctx,
          503,
          "Not Ready",
          "formation failed: " + engine.status().failure(),
          new JsonObject().put("phase", "failed").put("failure", engine.status().failure()));
      return;
    }
    boolean ready = engine.decision().isDone() && !engine.decision().isCompletedExceptionally();
    String phase = engine.phase().name().toLowerCase(Locale.ROOT);
    if (ready) {
      ApiServer.json(ctx, 200, new JsonObject().put("status", "ready").put("phase", phase));
      return;
    }
    // Not ready is an error answer like any other: problem+json, what it waits for as members.
    String waitingFor = engine.waitingFor();
    Problems.send(
        ctx,
        503,
        "Not Ready",
        FormationStatus.waitingFor(waitingFor),
        new JsonObject().put("phase", phase).put("waiting_for", waitingFor));
  }
}
