package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.spi.BackendFailure;
import io.muster.spi.FormationLock.Held;
import io.muster.spi.FormationLock.LockOutcome;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The formation lock: etcd's Lock RPC on a lease of its own, kept alive while the lock is held and
 * revoked on release, so a holder that dies releases it within the lease TTL. The holder writes its
 * node name into its lock key (the lock is decided by create revision, not by value), so waiters
 * and operators can see who holds it.
 */
final class EtcdLock {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdLock.class);

  private final Client client;
  private final String name;
  private final NodeName self;
  private final Duration ttl;
  private final Duration timeout;
  private final EtcdErrors errors;

  /** Leases of lock attempts in flight or held: revoked on stop, so nothing waits for expiry. */
  private final Set<KeptLease> live = ConcurrentHashMap.newKeySet();

  EtcdLock(
      Client client,
      EtcdPaths paths,
      NodeName self,
      Duration ttl,
      Duration timeout,
      EtcdErrors errors) {
    this.client = client;
    this.name = paths.lockName();
    this.self = self;
    this.ttl = ttl;
    this.timeout = timeout;
    this.errors = errors;
  }

  CompletableFuture<LockOutcome> acquire() {
    LOG.debug(
        "etcd: grant lock lease (ttl {} s), Lock {} (wait at most {})",
        ttl.toSeconds(),
        name,
        timeout);
    return KeptLease.grant(
            client.getLeaseClient(), ttl, EtcdClients.CALL_TIMEOUT, lockLeaseListener())
        .exceptionally(
            t -> {
              throw errors.failure("granting the lock lease", t);
            })
        .thenCompose(
            lease -> {
              live.add(lease);
              CompletableFuture<LockResponse> waited =
                  client
                      .getLockClient()
                      .lock(bytes(name), lease.id())
                      .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
              return waited
                  .thenCompose(r -> announce(r.getKey(), lease))
                  .<LockOutcome>thenApply(held -> new LockOutcome.Acquired(held))
                  .handle(
                      (outcome, t) -> {
                        if (t == null) {
                          return CompletableFuture.completedFuture(outcome);
                        }
                        // Our waiter key lives on this lease: revoking it withdraws us from
                        // the queue, so a late grant cannot leave a lock nobody uses.
                        live.remove(lease);
                        lease.revoke();
                        if (waited.isCompletedExceptionally()
                            && BackendFailure.unwrap(t) instanceof TimeoutException) {
                          return holder()
                              .<LockOutcome>thenApply(
                                  h ->
                                      new LockOutcome.NotAcquired(
                                          "waited lock_timeout "
                                              + timeout.toSeconds()
                                              + " s; held by "
                                              + h))
                              .exceptionally(
                                  e -> new LockOutcome.NotAcquired("waited lock_timeout"));
                        }
                        return CompletableFuture.<LockOutcome>failedFuture(
                            errors.failure("acquiring the lock " + name, t));
                      })
                  .thenCompose(f -> f);
            });
  }

  /** Stop: revokes every lock lease in flight or held (the agent is going away). */
  CompletableFuture<Void> revokeAll() {
    List<CompletableFuture<Void>> revokes = new ArrayList<>();
    for (KeptLease l : live) {
      live.remove(l);
      revokes.add(l.revoke().exceptionally(t -> null));
    }
    return CompletableFuture.allOf(revokes.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Held> announce(ByteSequence lockKey, KeptLease lease) {
    return client
        .getKVClient()
        .put(lockKey, bytes(self.toString()), PutOption.builder().withLeaseId(lease.id()).build())
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            r -> {
              LOG.debug("etcd: holding lock key {}", text(lockKey));
              return (Held) () -> release(lockKey, lease);
            });
  }

  private CompletableFuture<Void> release(ByteSequence lockKey, KeptLease lease) {
    LOG.debug("etcd: Unlock {}, revoke lease {}", text(lockKey), lease.hex());
    return client
        .getLockClient()
        .unlock(lockKey)
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            r -> {
              live.remove(lease);
              return lease.revoke();
            })
        .exceptionally(
            t -> {
              live.remove(lease);
              lease.revoke();
              throw errors.failure("releasing the lock", t);
            });
  }

  /** The node named in the oldest lock key (the holder), for messages. */
  CompletableFuture<String> holder() {
    return client
        .getKVClient()
        .get(
            bytes(name + "/"),
            GetOption.builder()
                .isPrefix(true)
                .withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND)
                .withLimit(1)
                .build())
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            r -> {
              if (r.getKvs().isEmpty()) {
                return "nobody now";
              }
              String v = text(r.getKvs().get(0).getValue());
              return v.isEmpty() || !NodeName.isValid(v) ? "an agent that has not named itself" : v;
            });
  }

  private KeptLease.Listener lockLeaseListener() {
    return new KeptLease.Listener() {
      @Override
      public void lost(KeptLease lease, String why) {
        LOG.warn(
            "The formation lock's lease {} ended ({}); if the lock was still held, another agent"
                + " may now take it",
            lease.hex(),
            why);
      }

      @Override
      public void trouble(KeptLease lease, String why) {
        LOG.debug("etcd lock lease keepalive trouble: {}", why);
      }
    };
  }
}
