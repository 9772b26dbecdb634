package io.muster.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 9457 problem details, the only error body the API sends: for the handlers' own errors, for
 * every error status the router or a handler's {@code fail} produces, and for requests the HTTP
 * decoder refuses before any route sees them.
 */
final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  private Problems() {}

  static void send(RoutingContext ctx, int status, String title, String detail) {
    send(ctx, status, title, detail, new JsonObject());
  }

  /** A problem with extension members (RFC 9457 section 3.2), e.g. what a probe waits for. */
  static void send(
      RoutingContext ctx, int status, String title, String detail, JsonObject extensions) {
    send(ctx.response(), ctx.request().path(), status, title, detail, extensions);
  }

  static void send(
      HttpServerResponse response,
      String instance,
      int status,
      String title,
      String detail,
      JsonObject extensions) {
    JsonObject body =
        extensions
            .copy()
            .put("type", "about:blank")
            .put("title", title)
            .put("status", status)
            .put("detail", detail)
            .put("instance", instance);
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/problem+json")
        .end(body.encode());
  }

  /**
   * Makes {@code router} answer every error status with a problem (a body over the limit, a path
   * that does not decode, ...) and {@code server} answer undecodable requests with one. Handlers
   * that send their own problems are unaffected; {@code internal} is the 500's detail.
   */
  static void install(Router router, HttpServer server, String notFound, String internal) {
    // Before any route with a path: a path whose %-escapes do not decode (/v1/%zz) would
    // otherwise throw while routes are matched, and come out as a 500.
    router
        .route()
        .order(-1)
        .handler(
            ctx -> {
              try {
                ctx.normalizedPath();
              } catch (IllegalArgumentException e) {
                send(ctx, 400, "Bad Request", "the path does not decode: " + e.getMessage());
                return;
              }
              // Likewise a query whose %-escapes do not decode: BodyHandler decodes it itself for
              // a form body (to merge the form's fields), outside any route's failure handling,
              // so the exception was logged and the request never answered.
              try {
                ctx.request().params();
              } catch (IllegalArgumentException e) {
                send(ctx, 400, "Bad Request", "the query does not decode: " + e.getMessage());
                return;
              }
              // HEAD answers wherever GET does: the same status and headers, no body (Vert.x
              // leaves the body out of an answer to HEAD)
              if (ctx.request().method() == HttpMethod.HEAD && ctx.get(HEAD_AS_GET) == null) {
                ctx.put(HEAD_AS_GET, Boolean.TRUE);
                // the path and query, never the raw target: a request may name an absolute URI
                // (HEAD http://host/v1/peers), which reroute cannot take
                String query = ctx.request().query();
                ctx.reroute(
                    HttpMethod.GET, ctx.request().path() + (query == null ? "" : "?" + query));
                return;
              }
              ctx.next();
            });
    router
        .route()
        .last()
        .handler(
            ctx -> {
              Set<String> allowed = allowed(router, ctx.normalizedPath());
              if (allowed.isEmpty()) {
                send(ctx, 404, "Not Found", notFound);
                return;
              }
              ctx.response().putHeader("Allow", String.join(", ", allowed));
              send(
                  ctx,
                  405,
                  "Method Not Allowed",
                  ctx.request().method().name()
                      + " is not served here; this endpoint takes "
                      + String.join(", ", allowed));
            });
    for (int status = 400; status < 600; status++) {
      int code = status;
      String title = HttpResponseStatus.valueOf(code).reasonPhrase();
      String detail = code == 500 ? internal : title;
      router.errorHandler(
          code,
          ctx -> {
            if (code == 500) {
              // The answer says "see the agent's log": put what went wrong there.
              LOG.error(
                  "{} {} failed; answered 500",
                  ctx.request().method(),
                  ctx.request().path(),
                  ctx.failure());
            }
            send(ctx, code, title, detail);
          });
    }
    server.invalidRequestHandler(Problems::invalid);
  }

  private static final String HEAD_AS_GET = "muster.headAsGet";

  /** The methods routes of {@code router} serve on exactly {@code path} (HEAD wherever GET). */
  private static Set<String> allowed(Router router, String path) {
    Set<String> methods = new TreeSet<>();
    for (Route r : router.getRoutes()) {
      if (path.equals(r.getPath()) && r.methods() != null) {
        r.methods().forEach(m -> methods.add(m.name()));
      }
    }
    if (methods.contains("GET")) {
      methods.add("HEAD");
    }
    return methods;
  }

  /** A request the decoder refused (line or headers too long, not HTTP): answer, then close. */
  private static void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status =
        cause instanceof TooLongHttpLineException
            ? 414
            : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    HttpServerResponse response = request.response().putHeader("Connection", "close");
    send(
        response,
        null,
        status,
        HttpResponseStatus.valueOf(status).reasonPhrase(),
        cause == null ? "not a valid HTTP request" : cause.getMessage(),
        new JsonObject());
  }
}
