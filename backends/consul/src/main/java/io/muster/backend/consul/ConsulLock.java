package io.muster.backend.consul;

import io.muster.spi.FormationLock.Held;
import io.muster.spi.FormationLock.LockOutcome;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The formation lock: {@code PUT /v1/kv/{lock_prefix}/{cluster}/startup_lock?acquire=SESSION} with
 * a session (TTL, renewed at TTL/2, behavior release), waiting with blocking GETs on the key's
 * index until it changes, for at most {@code lock_timeout} in all, and {@code ?release=} at once
 * after the decision. If the agent dies, the session expires and Consul releases the lock. The
 * session is destroyed after each release (a decision is taken again only after an abort, which
 * makes a new one), so an agent at rest renews nothing for the lock.
 */
final class ConsulLock {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulLock.class);

  /** One blocking GET waits at most this long; the lock wait as a whole is lock_timeout. */
  private static final Duration MAX_BLOCK = Duration.ofMinutes(1);

  private final ConsulHttp http;
  private final Vertx vertx;
  private final ConsulSettings s;
  private final NodeName self;
  private final String path;
  private final SessionHolder session;

  ConsulLock(ConsulHttp http, Vertx vertx, ConsulSettings s, NodeName self) {
    this.http = http;
    this.vertx = vertx;
    this.s = s;
    this.self = self;
    this.path = "/v1/kv/" + s.lockKey();
    this.session =
        new SessionHolder(
            http,
            vertx,
            "muster-lock " + self,
            s.sessionTtl(),
            "release",
            why ->
                LOG.warn(
                    "Formation lock session lost ({}); a new one is made for the next attempt",
                    why));
  }

  CompletableFuture<LockOutcome> acquire() {
    long deadline = System.nanoTime() + s.lockTimeout().toNanos();
    return session.id().thenCompose(sid -> attempt(sid, deadline, 0));
  }

  /**
   * @param freeRefusals how many times in a row the key was free yet the acquire refused
   */
  private CompletableFuture<LockOutcome> attempt(String sid, long deadline, int freeRefusals) {
    return http.put(path, Map.of("acquire", sid), Buffer.buffer(self.toString()))
        .thenCompose(
            r -> {
              if (!r.ok()) {
                throw http.failure("acquiring the lock " + s.lockKey(), r);
              }
              if ("true".equals(r.text())) {
                LOG.debug("consul: holding {}", s.lockKey());
                return CompletableFuture.completedFuture(
                    (LockOutcome) new LockOutcome.Acquired((Held) () -> release(sid)));
              }
              return waitForChange(sid, deadline, freeRefusals);
            });
  }

  /** Blocks on the key's index until it changes (or the deadline), then tries again. */
  private CompletableFuture<LockOutcome> waitForChange(
      String sid, long deadline, int freeRefusals) {
    return http.get(path, Map.of())
        .thenCompose(
            now -> {
              long left = deadline - System.nanoTime();
              // Under a second left: a blocking GET with a tiny wait would be read by Consul as
              // its 5 minute default, so give up now.
              if (left < 1_000_000_000L) {
                return CompletableFuture.completedFuture(
                    (LockOutcome)
                        new LockOutcome.NotAcquired(
                            "waited lock_timeout "
                                + s.lockTimeout().toSeconds()
                                + " s; held by "
                                + holder(now)));
              }
              if (now.status() == 404 || holder(now).equals("nobody")) {
                if (freeRefusals == 0) {
                  return attempt(sid, deadline, 1); // released just now: try again at once
                }
                // Free but refused again (e.g. a lock-delay set by another session): retry
                // shortly, never in a tight loop.
                CompletableFuture<Void> pause = new CompletableFuture<>();
                vertx.setTimer(500, t -> pause.complete(null));
                return pause.thenCompose(x -> attempt(sid, deadline, freeRefusals + 1));
              }
              Duration wait = Duration.ofNanos(Math.min(left, MAX_BLOCK.toNanos()));
              return http.send(
                      HttpMethod.GET,
                      path,
                      Map.of("index", Long.toString(Math.max(1, now.index()))),
                      null,
                      wait)
                  .thenCompose(changed -> attempt(sid, deadline, 0));
            });
  }

  private static String holder(ConsulHttp.Reply r) {
    if (r.status() != 200 || r.array().isEmpty()) {
      return "nobody";
    }
    JsonObject kv = r.array().getJsonObject(0);
    if (kv.getString("Session") == null) {
      return "nobody";
    }
    String v = kv.getString("Value");
    if (v == null) {
      return "an unnamed holder";
    }
    String name = new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
    return NodeName.isValid(name) ? name : "an unnamed holder";
  }

  /**
   * Releases the lock, then destroys its session either way: had the release failed, the session's
   * invalidation releases the lock (behavior release), at once or, if Consul cannot be reached,
   * when its TTL runs out unrenewed.
   */
  private CompletableFuture<Void> release(String sid) {
    return http.put(path, Map.of("release", sid), null)
        .thenAccept(
            r -> {
              if (!r.ok()) {
                throw http.failure("releasing the lock", r);
              }
            })
        .whenComplete((x, t) -> session.retire());
  }

  /** Stop: destroys the lock session (also one still being created), releasing the lock. */
  CompletableFuture<Void> destroy() {
    return session.destroy();
  }
}
