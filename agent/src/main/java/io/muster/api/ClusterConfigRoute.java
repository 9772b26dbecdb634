package io.muster.api;

import io.muster.cleanup.NodeCleanup;
import io.muster.declarative.ClusterSpec;
import io.muster.declarative.ClusterSpecs;
import io.muster.declarative.ClustererBackend;
import io.muster.declarative.SpecHolder;
import io.muster.formation.engine.FormationEngine;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code GET|PUT /v1/cluster-config}: the declarative config in force, and handing a new one to
 * this agent ({@code muster apply FILE} calls it). The body is the Clusterer's format (Erlang
 * terms) or Muster's JSON. A younger version is stored in the data dir, then in force, and the
 * agent decides on it at once; the same version with other content, or an older one, is refused
 * with 409 and changes nothing. PUT needs the API token where one is set: a {@code gospel = reset}
 * config wipes a cluster.
 */
final class ClusterConfigRoute {

  private final Vertx vertx;
  private final ClustererBackend backend;
  private final FormationEngine engine;
  private final BearerToken token;
  private final NodeCleanup cleanup;

  /**
   * @param backend the declarative backend, or null when the agent runs another one (404)
   * @param cleanup runs the forget command for a node a younger version drops
   */
  ClusterConfigRoute(
      Vertx vertx,
      ClustererBackend backend,
      FormationEngine engine,
      BearerToken token,
      NodeCleanup cleanup) {
    this.vertx = vertx;
    this.backend = backend;
    this.engine = engine;
    this.token = token;
    this.cleanup = cleanup;
  }

  void install(Router router) {
    router.get("/v1/cluster-config").handler(this::get);
    router
        .put("/v1/cluster-config")
        .handler(BodyHandler.create().setBodyLimit(1 << 20)) // Vert.x wants it first
        .handler(token::check)
        .handler(this::put);
  }

  /** An offer's result, and why the node it drops was not forgotten, if it was not. */
  private record Offered(SpecHolder.Result result, Optional<String> forgetProblem) {}

  /**
   * Offers the config; a younger one that drops a node has it forgotten here, once: applying the
   * version is the operator's explicit removal (one node per version, never this one), and the
   * agent it was applied to runs it (agents that get it by spreading do not).
   */
  private Offered offer(ClusterSpec offered) {
    SpecHolder.Result r = backend.holder().offer(offered, "PUT /v1/cluster-config");
    Optional<String> problem = Optional.empty();
    if (r.outcome() == SpecHolder.Outcome.ADOPTED && r.forget().isPresent()) {
      problem =
          cleanup.forgetNow(
              r.forget().get(),
              "cluster config version " + r.inForce().version() + " no longer lists it");
    }
    return new Offered(r, problem);
  }

  private boolean declarative(RoutingContext ctx) {
    if (backend == null) {
      Problems.send(
          ctx,
          404,
          "Not Declarative",
          "this agent does not run a declarative cluster config (muster.mode = declarative, or"
              + " peer_discovery_backend = clusterer)");
      return false;
    }
    return true;
  }

  private void get(RoutingContext ctx) {
    if (declarative(ctx)) {
      ApiServer.json(ctx, 200, backend.inForce().toJson());
    }
  }

  private void put(RoutingContext ctx) {
    if (!declarative(ctx)) {
      return;
    }
    String body = ctx.body().asString();
    ClusterSpec offered;
    try {
      offered = ClusterSpecs.parse(body == null ? "" : body, "PUT /v1/cluster-config");
    } catch (ClusterSpecs.InvalidSpecException e) {
      Problems.send(ctx, 400, "Bad Cluster Config", e.getMessage());
      return;
    }
    vertx
        .executeBlocking(() -> offer(offered), false)
        .onComplete(
            r -> {
              if (r.failed()) {
                Problems.send(
                    ctx,
                    500,
                    "Not Stored",
                    "the config could not be stored, so it is not in force: "
                        + r.cause().getMessage());
                return;
              }
              SpecHolder.Result result = r.result().result();
              JsonObject answer =
                  new JsonObject()
                      .put("outcome", result.outcome().name().toLowerCase(Locale.ROOT))
                      .put("in_force", result.inForce().toJson())
                      .put("detail", result.why());
              Optional<String> problem = r.result().forgetProblem();
              result
                  .forget()
                  .ifPresent(
                      n ->
                          answer
                              .put("to_forget", n.toString())
                              .put("forgotten", problem.isEmpty()));
              problem.ifPresent(p -> answer.put("forget_problem", p));
              switch (result.outcome()) {
                case ADOPTED -> {
                  engine.configChanged();
                  ApiServer.json(ctx, 200, answer);
                }
                case SAME -> ApiServer.json(ctx, 200, answer);
                case OLDER, REFUSED ->
                    Problems.send(ctx, 409, "Cluster Config Refused", result.why(), answer);
              }
            });
  }
}
