package io.muster.backend.consul;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One Consul session at a time for one purpose (the lock, or the agent's markers): concurrent
 * callers share the creation in flight, a lost session is replaced on the next call, and once
 * destroyed, a session whose creation completes late is destroyed too, so none is left renewed.
 */
final class SessionHolder {

  private final ConsulHttp http;
  private final Vertx vertx;
  private final String name;
  private final Duration ttl;
  private final String behavior;
  private final Consumer<String> lost;
  private CompletableFuture<ConsulSession> current;
  private boolean closed;

  SessionHolder(
      ConsulHttp http,
      Vertx vertx,
      String name,
      Duration ttl,
      String behavior,
      Consumer<String> lost) {
    this.http = http;
    this.vertx = vertx;
    this.name = name;
    this.ttl = ttl;
    this.behavior = behavior;
    this.lost = lost;
  }

  /** The session's id, creating the session if there is none (shared while in flight). */
  synchronized CompletableFuture<String> id() {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("stopping"));
    }
    if (current == null || current.isCompletedExceptionally()) {
      CompletableFuture<ConsulSession> created =
          ConsulSession.create(http, vertx, name, ttl, behavior, why -> onLost(why));
      current = created;
      created.thenAccept(
          s -> {
            synchronized (this) {
              if (closed) {
                s.destroy();
              }
            }
          });
    }
    return current.thenApply(ConsulSession::id);
  }

  /**
   * Renews the current session once; answers the TTL Consul granted, zero when there is none or
   * Consul no longer knows it.
   */
  CompletableFuture<Duration> renewOnce() {
    CompletableFuture<ConsulSession> c;
    synchronized (this) {
      c = current;
    }
    if (c == null || !c.isDone() || c.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(Duration.ZERO);
    }
    return c.join().renewOnce();
  }

  /** The id when a session exists now, else null. */
  synchronized String currentId() {
    return current != null && current.isDone() && !current.isCompletedExceptionally()
        ? current.join().id()
        : null;
  }

  private void onLost(String why) {
    synchronized (this) {
      current = null;
    }
    lost.accept(why);
  }

  /**
   * Destroys the session now (or when its creation completes), so Consul stops being asked to renew
   * it; the next {@link #id} makes a new one. For a session whose purpose is over for now.
   */
  CompletableFuture<Void> retire() {
    CompletableFuture<ConsulSession> c;
    synchronized (this) {
      c = current;
      current = null;
    }
    if (c == null) {
      return CompletableFuture.completedFuture(null);
    }
    return c.thenCompose(ConsulSession::destroy).exceptionally(t -> null);
  }

  /** Destroys the session (now, or when its creation completes); no new one is made after. */
  CompletableFuture<Void> destroy() {
    synchronized (this) {
      closed = true;
    }
    return retire();
  }
}
