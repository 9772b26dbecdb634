package io.muster.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** RFC 9457 problem details, the only error body the API sends. */
final class Problems {

  private Problems() {}

  static void send(RoutingContext ctx, int status, String title, String detail) {
    JsonObject body =
        new JsonObject()
            .put("type", "about:blank")
            .put("title", title)
            .put("status", status)
            .put("detail", detail)
            .put("instance", ctx.request().path());
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/problem+json")
        .end(body.encode());
  }
}
