package io.muster.api;

import io.muster.cleanup.NodeCleanup;
import io.muster.config.CoreSettings;
import io.muster.declarative.ClustererBackend;
import io.muster.exec.StartGate;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.PeerView;
import io.muster.formation.core.FormationStatus;
import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.metrics.AgentMetrics;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The loopback API (formation.md): peers (blocking with {@code index}/{@code wait}), formation
 * decision, completion and abort, status, health and metrics. Handlers never block the event loop:
 * waits are callbacks, and blocking engine calls run on worker threads.
 */
public final class ApiServer {

  private static final Duration MAX_WAIT = Duration.ofMinutes(5);
  private static final KeyType<Duration> WAIT = KeyType.duration("s", Duration.ZERO, MAX_WAIT);

  private final Vertx vertx;
  private final CoreSettings settings;
  private final FormationEngine engine;
  private final LocalNode local;
  private final PeerView view;
  private final AgentMetrics metrics;
  private final NodeCleanup cleanup;
  private final StartGate gate;
  private final StatusView status;
  private final HealthRoutes health;
  private HttpServer server;
  private HttpServer healthServer;
  private ClustererBackend declarative;

  /** Declarative mode: {@code /v1/cluster-config} serves this backend's config. */
  public void declarative(ClustererBackend backend) {
    this.declarative = backend;
  }

  /**
   * @param token with {@code muster.api.token_file}, what mutating endpoints need
   */
  public ApiServer(
      Vertx vertx,
      CoreSettings settings,
      Sources sources,
      StatusView status,
      Optional<byte[]> token) {
    this.token = new BearerToken(token);
    this.vertx = vertx;
    this.settings = settings;
    this.engine = sources.engine();
    this.local = sources.local();
    this.view = sources.view();
    this.metrics = sources.metrics();
    this.cleanup = sources.cleanup();
    this.gate = sources.gate();
    this.status = status;
    this.health = new HealthRoutes(vertx, engine, gate, metrics);
  }

  /** The parts of a running agent the API reads and drives; the status view reads them too. */
  public record Sources(
      FormationEngine engine,
      LocalNode local,
      PeerView view,
      AgentMetrics metrics,
      NodeCleanup cleanup,
      StartGate gate) {}

  private final BearerToken token;

  /** Starts listening; completes with the bound port. */
  public Future<Integer> listen() {
    Router router = Router.router(vertx);
    router.get("/v1/peers").handler(this::peers);
    router.post("/v1/formation").handler(token::check).handler(this::formation);
    router.post("/v1/formation/complete").handler(token::check).handler(this::complete);
    new SeedRoute(vertx, gate).install(router);
    new ClusterConfigRoute(vertx, declarative, engine, token, cleanup).install(router);
    router.post("/v1/formation/abort").handler(token::check).handler(this::abort);
    router.post("/v1/leave").handler(token::check).handler(this::leave);
    router.get("/v1/status").handler(ctx -> json(ctx, 200, status.json()));
    router
        .put("/v1/members")
        .handler(BodyHandler.create().setBodyLimit(1 << 20)) // Vert.x wants it first
        .handler(token::check)
        .handler(this::members);
    health.install(router);
    HttpServer http = vertx.createHttpServer();
    Problems.install(
        router, http, "no such endpoint; see the API list in docs/api.md", "see the agent's log");
    return http.requestHandler(router)
        .listen(settings.apiPort(), settings.apiBind())
        .map(
            s -> {
              server = s;
              return s.actualPort();
            });
  }

  /**
   * The health port ({@code muster.health.port}): the three read-only health endpoints and nothing
   * else, so it can listen where a kubelet's probes reach it while the API stays on loopback.
   * Completes with the bound port.
   */
  public Future<Integer> listenHealth(String bind, int port) {
    Router router = Router.router(vertx);
    health.install(router);
    HttpServer http = vertx.createHttpServer();
    Problems.install(
        router,
        http,
        "the health port serves GET /health/live|ready|started and /metrics",
        "see the agent's log");
    return http.requestHandler(router)
        .listen(port, bind)
        .map(
            s -> {
              healthServer = s;
              return s.actualPort();
            });
  }

  public Future<Void> close() {
    Future<Void> health = healthServer == null ? Future.succeededFuture() : healthServer.close();
    Future<Void> api = server == null ? Future.succeededFuture() : server.close();
    return Future.join(health, api).mapEmpty();
  }

  private void peers(RoutingContext ctx) {
    long index;
    Duration wait;
    try {
      String i = ctx.request().getParam("index");
      index = i == null ? 0 : Long.parseLong(i);
      String w = ctx.request().getParam("wait");
      wait = w == null ? Duration.ofSeconds(30) : WAIT.parse(w);
    } catch (IllegalArgumentException e) {
      Problems.send(
          ctx,
          400,
          "Bad Request",
          "index must be an integer; wait " + WAIT.description() + " up to 5m");
      return;
    }
    boolean text = acceptsText(ctx);
    if (index <= 0 || wait.isZero()) {
      sendPeers(ctx, view.snapshot(), text);
      return;
    }
    Runnable[] cancel = new Runnable[1];
    long timer =
        vertx.setTimer(
            Math.max(1, wait.toMillis()),
            t -> {
              cancel[0].run();
              sendPeers(ctx, view.snapshot(), text);
            });
    var context = vertx.getOrCreateContext();
    cancel[0] =
        view.onChange(
            index,
            snapshot ->
                context.runOnContext(
                    v -> {
                      if (vertx.cancelTimer(timer)) {
                        sendPeers(ctx, snapshot, text);
                      }
                    }));
    ctx.request()
        .connection()
        .closeHandler(
            v -> {
              vertx.cancelTimer(timer);
              cancel[0].run();
            });
  }

  private static boolean acceptsText(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null && accept.contains("text/plain") && !accept.contains("application/json");
  }

  private void sendPeers(RoutingContext ctx, PeerView.Snapshot s, boolean text) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().putHeader("X-Muster-Index", Long.toString(s.index()));
    ctx.response().putHeader("X-Muster-Stale", Boolean.toString(s.stale()));
    if (text) {
      StringBuilder out = new StringBuilder();
      s.peers().forEach(p -> out.append(p).append('\n'));
      ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(out.toString());
      return;
    }
    json(ctx, 200, StatusView.peersJson(settings.backend(), s));
  }

  private void formation(RoutingContext ctx) {
    Duration wait;
    try {
      String w = ctx.request().getParam("wait");
      wait = w == null ? Duration.ofSeconds(60) : WAIT.parse(w);
    } catch (IllegalArgumentException e) {
      Problems.send(ctx, 400, "Bad Request", "wait must be " + WAIT.description() + " up to 5m");
      return;
    }
    String withdrawn = engine.withdrawn();
    if (withdrawn != null) {
      // formation.md invariant 9: the node must stop acting on its decision, reset its fresh
      // data, then POST /v1/formation/abort; only then does the agent decide again
      json(ctx, 200, StatusView.abortJson(withdrawn));
      return;
    }
    var context = vertx.getOrCreateContext();
    engine
        .decision()
        // a copy: orTimeout completes the future it is called on, and the engine's own decision
        // must never be completed by one caller's wait running out
        .copy()
        .orTimeout(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS)
        .whenComplete(
            (d, e) ->
                context.runOnContext(
                    v -> {
                      if (engine.withdrawn() != null) {
                        json(ctx, 200, StatusView.abortJson(engine.withdrawn()));
                      } else if (d != null) {
                        json(ctx, 200, StatusView.decisionJson(d));
                      } else if (engine.failure() != null) {
                        Problems.send(ctx, 500, "Formation Failed", engine.failure());
                      } else {
                        ctx.response().putHeader("Retry-After", "1");
                        Problems.send(
                            ctx,
                            503,
                            "No Decision Yet",
                            FormationStatus.waitingFor(engine.waitingFor())
                                + "; "
                                + FormationStatus.attemptsLeft(engine.attemptsLeft()));
                      }
                    }));
  }

  private void complete(RoutingContext ctx) {
    vertx
        .executeBlocking(engine::complete, false)
        .onSuccess(
            (Membership m) ->
                json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("cluster_id", m.clusterId())
                        .put("members", StatusView.names(m.members().stream().sorted().toList()))))
        .onFailure(e -> conflictOr500(ctx, e));
  }

  private void abort(RoutingContext ctx) {
    vertx
        .executeBlocking(engine::abort, false)
        .onSuccess(
            (Decision d) ->
                json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("aborted", StatusView.decisionJson(d))
                        .put("next", "deciding again")))
        .onFailure(e -> conflictOr500(ctx, e));
  }

  /** What {@code POST /v1/leave} runs (the agent's planned decommission); none until set. */
  private volatile Callable<String> leave;

  /** Sets what {@code POST /v1/leave} runs: it returns the cluster id left, or throws why not. */
  public void onLeave(Callable<String> leave) {
    this.leave = leave;
  }

  private void leave(RoutingContext ctx) {
    Callable<String> l = leave;
    if (l == null) {
      Problems.send(ctx, 409, "Conflict", "this agent cannot leave");
      return;
    }
    vertx
        .executeBlocking(l, false)
        .onSuccess(
            cluster ->
                json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("left", cluster)
                        .put("node", local.self().toString())
                        .put("next", "the agent stops")))
        .onFailure(e -> conflictOr500(ctx, e)); // a refusal (IllegalStateException) is 409
  }

  private static void conflictOr500(RoutingContext ctx, Throwable e) {
    if (e instanceof IllegalStateException) {
      Problems.send(ctx, 409, "Conflict", e.getMessage());
    } else {
      Problems.send(ctx, 502, "Backend Failed", String.valueOf(e.getMessage()));
    }
  }

  /**
   * {@code PUT /v1/members}: the node reports its cluster members (JSON array, rabbitmqctl
   * cluster_status JSON, or one name per line) for node cleanup.
   */
  private void members(RoutingContext ctx) {
    try {
      // No body at all is an empty list, as an empty one is (asString() is null then).
      String body = ctx.body().asString();
      Set<NodeName> members = NodeCleanup.parseMembers(body == null ? "" : body);
      cleanup.members(members);
      ctx.response().setStatusCode(204).end();
    } catch (IllegalStateException e) {
      Problems.send(ctx, 400, "Bad Request", e.getMessage());
    }
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encodePrettily());
  }
}
