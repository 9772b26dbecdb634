package io.muster.api;

import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** The API's bearer token ({@code muster.api.token_file}), checked before mutating endpoints. */
final class BearerToken {

  /** {@code "Bearer <token>"}, when mutating endpoints need one. */
  private final Optional<byte[]> expected;

  BearerToken(Optional<byte[]> token) {
    this.expected =
        token.map(
            t ->
                ("Bearer " + new String(t, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * With {@code muster.api.token_file}, a mutating endpoint needs {@code Authorization: Bearer
   * <token>} (compared in constant time): every container of a pod shares loopback. Else 401.
   */
  void check(RoutingContext ctx) {
    if (expected.isEmpty()) {
      ctx.next();
      return;
    }
    String given = ctx.request().getHeader("Authorization");
    if (given != null
        && MessageDigest.isEqual(expected.get(), given.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"muster\"");
    Problems.send(
        ctx,
        401,
        "Unauthorized",
        given == null
            ? "this endpoint changes formation: send Authorization: Bearer <the token in"
                + " muster.api.token_file>"
            : "the bearer token does not match muster.api.token_file");
  }
}
