package io.muster.backend.consul;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Consul session renewed every TTL/2. Consul invalidates it when renewals stop (after TTL, up to
 * twice that); the owner hears once when a renewal says it is gone (404).
 */
final class ConsulSession {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulSession.class);

  private final ConsulHttp http;
  private final Vertx vertx;
  private final String id;
  private final String name;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final long timer;

  private ConsulSession(
      ConsulHttp http, Vertx vertx, String id, String name, Duration ttl, Consumer<String> lost) {
    this.http = http;
    this.vertx = vertx;
    this.id = id;
    this.name = name;
    long every = Math.max(500, ttl.toMillis() / 2);
    this.timer = vertx.setPeriodic(every, t -> renew(lost));
  }

  /**
   * Creates a session. {@code behavior} is {@code release} or {@code delete} (what happens to the
   * keys it holds when it is invalidated); lock-delay is 0 because what the session guards (a short
   * decision, or a marker written atomically under it) cannot be acted on once it is gone.
   */
  static CompletableFuture<ConsulSession> create(
      ConsulHttp http,
      Vertx vertx,
      String name,
      Duration ttl,
      String behavior,
      Consumer<String> lost) {
    // Checks: [] binds the session to its TTL alone. Left out, Consul binds it to the node's
    // serfHealth check too, and a gossip flap would end a seed's claim behind its back.
    JsonObject body =
        new JsonObject()
            .put("Name", name)
            .put("TTL", ttl.toSeconds() + "s")
            .put("Behavior", behavior)
            .put("LockDelay", "0s")
            .put("Checks", new JsonArray());
    return http.put("/v1/session/create", Map.of(), Buffer.buffer(body.encode()))
        .thenApply(
            r -> {
              if (!r.ok()) {
                throw http.failure("creating session " + name, r);
              }
              String id = r.object().getString("ID");
              LOG.debug(
                  "consul: session {} ({}, ttl {} s, {})", id, name, ttl.toSeconds(), behavior);
              return new ConsulSession(http, vertx, id, name, ttl, lost);
            });
  }

  String id() {
    return id;
  }

  /**
   * Renews the session once now; answers the TTL Consul granted, or zero when Consul no longer
   * knows the session (it was invalidated).
   */
  CompletableFuture<Duration> renewOnce() {
    return renewRequest()
        .thenApply(
            r -> {
              if (r.status() == 404) {
                return Duration.ZERO;
              }
              if (!r.ok()) {
                throw http.failure("renewing session " + name, r);
              }
              String ttl = r.array().getJsonObject(0).getString("TTL", "0s");
              return parseTtl(ttl);
            });
  }

  private static final Pattern PART = Pattern.compile("(\\d+)(?:\\.\\d+)?(h|ms|m|s|us|\u00b5s|ns)");

  /**
   * Consul's duration text ("15s", "1m0s", "1.5s") in whole seconds, fractions dropped: the short
   * side, which is the safe one for a deadline.
   */
  static Duration parseTtl(String text) {
    long seconds = 0;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      seconds +=
          switch (m.group(2)) {
            case "h" -> n * 3600;
            case "m" -> n * 60;
            case "s" -> n;
            default -> 0;
          };
    }
    return Duration.ofSeconds(seconds);
  }

  /** One renewal of this session; 404 when Consul no longer knows it. */
  private CompletableFuture<ConsulHttp.Reply> renewRequest() {
    return http.put("/v1/session/renew/" + id, Map.of(), null);
  }

  private void renew(Consumer<String> lost) {
    if (ended.get()) {
      return;
    }
    renewRequest()
        .whenComplete(
            (r, t) -> {
              if (t != null) {
                LOG.debug("consul: renewing session {} failed: {}", name, t.getMessage());
              } else if (r.status() == 404) {
                if (ended.compareAndSet(false, true)) {
                  vertx.cancelTimer(timer);
                  lost.accept("Consul no longer knows session " + name + " (it expired)");
                }
              } else if (!r.ok()) {
                LOG.debug("consul: renewing session {}: HTTP {}", name, r.status());
              }
            });
  }

  /** Stops renewing and destroys it, releasing or deleting what it holds. */
  CompletableFuture<Void> destroy() {
    ended.set(true);
    vertx.cancelTimer(timer);
    return http.put("/v1/session/destroy/" + id, Map.of(), null).thenApply(r -> null);
  }
}
