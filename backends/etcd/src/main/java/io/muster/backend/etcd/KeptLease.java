package io.muster.backend.etcd;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease kept alive by jetcd's keepalive stream (a request every TTL/3). Reports once when the
 * lease is lost: etcd answered "lease not found" (it expired during a partition, or etcd lost its
 * data), or no keepalive was answered within the TTL. A broken stream alone is only trouble: jetcd
 * reopens it every 500 ms, and the lease survives if a keepalive gets through within the TTL.
 */
final class KeptLease {

  /** What the owner hears; called on jetcd threads, must not block. */
  interface Listener {
    void lost(KeptLease lease, String why);

    void trouble(KeptLease lease, String why);
  }

  private final Lease client;
  private final long id;
  private final long ttlSeconds;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean troubled = new AtomicBoolean();
  private volatile CloseableClient keepAlive;

  private KeptLease(Lease client, long id, long ttlSeconds) {
    this.client = client;
    this.id = id;
    this.ttlSeconds = ttlSeconds;
  }

  /**
   * Grants a lease of {@code ttl} and starts keeping it alive. Fails after {@code timeout}; a grant
   * that etcd answers later is revoked at once, so no lease is left alive unowned.
   */
  static CompletableFuture<KeptLease> grant(
      Lease client, Duration ttl, Duration timeout, Listener listener) {
    CompletableFuture<KeptLease> granted =
        client
            .grant(Math.max(1, ttl.toSeconds()))
            .thenApply(
                r -> {
                  KeptLease lease = new KeptLease(client, r.getID(), r.getTTL());
                  lease.keepAlive = client.keepAlive(r.getID(), lease.observer(listener));
                  return lease;
                });
    CompletableFuture<KeptLease> bounded =
        granted.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    bounded.whenComplete(
        (l, t) -> {
          if (t != null) {
            granted.thenAccept(KeptLease::revoke);
          }
        });
    return bounded;
  }

  private StreamObserver<LeaseKeepAliveResponse> observer(Listener listener) {
    return new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse value) {
        troubled.set(false);
      }

      @Override
      public void onError(Throwable t) {
        if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) {
          end(listener, "etcd no longer knows the lease (it expired)");
        } else if (!ended.get() && troubled.compareAndSet(false, true)) {
          // Once per outage: jetcd reopens the stream every 500 ms and would call this each time.
          listener.trouble(
              KeptLease.this,
              t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
      }

      @Override
      public void onCompleted() {
        end(
            listener,
            "no keepalive was answered before the lease's deadline (TTL " + ttlSeconds + " s)");
      }
    };
  }

  private void end(Listener listener, String why) {
    if (ended.compareAndSet(false, true)) {
      listener.lost(this, why);
    }
  }

  long id() {
    return id;
  }

  /** The TTL etcd granted (it may raise a TTL below its minimum). */
  long ttlSeconds() {
    return ttlSeconds;
  }

  String hex() {
    return Long.toHexString(id);
  }

  /** Stops keeping the lease alive; it then expires within its TTL. */
  void stopKeepAlive() {
    ended.set(true);
    CloseableClient k = keepAlive;
    if (k != null) {
      k.close();
    }
  }

  /** Stops keeping it alive and revokes it, deleting every key attached to it. */
  CompletableFuture<Void> revoke() {
    stopKeepAlive();
    return client.revoke(id).thenApply(r -> null);
  }
}
