// Over 350 lines: the lease's whole life: put, keep-alive, reconnect, re-register.
package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.spi.BackendFailure;
import io.muster.spi.Formats;
import io.muster.spi.NameTakenException;
import io.muster.spi.NodeName;
import io.muster.spi.Registration;
import io.muster.spi.support.Retry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's presence key under a kept-alive lease. When the lease is lost (expired during a
 * partition, etcd restarted without it) it grants a new lease, puts the key again, moves the
 * forming marker over, and only then revokes the old lease, retrying until etcd answers: the moment
 * the client's channel is back when etcd could not be reached ({@link EtcdChannel}), else with
 * jittered backoff. A key deleted by someone else while the lease lives is put back under that
 * lease.
 *
 * <p>Names are unique (formation.md step 2): the key is put only where it is absent, under this
 * agent's lease, or carries this agent's instance id (its own earlier run). A key another live
 * agent instance holds is never written over: registering fails with {@link NameTakenException}.
 */
final class NodeRegistration {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRegistration.class);

  private final Client client;
  private final String key;
  private final NodeName node;
  private final String instanceId;
  private final Duration ttl;
  private final EtcdErrors errors;
  private final Runnable trouble;
  private final LongFunction<CompletableFuture<Void>> newLease;
  private final EtcdChannel channel;
  private final Retry retry;
  private volatile KeptLease lease;

  /** The cluster the node is a member of, carried in the key's value (null: none yet). */
  private volatile String memberOf;

  private volatile boolean active;
  private boolean repairing;

  /**
   * @param trouble told when the keepalive stream breaks (the core then re-reads and notices)
   * @param newLease told the new lease id after a re-registration, before the old lease is revoked
   *     (the forming marker moves to it first, so it never disappears in between); its future must
   *     succeed before the old lease is revoked
   * @param channel the client's channel: a re-registration that failed while etcd could not be
   *     reached is tried again the moment the channel is READY again, not after its backoff
   */
  NodeRegistration(
      Client client,
      Vertx vertx,
      EtcdPaths paths,
      NodeName node,
      String instanceId,
      Duration ttl,
      EtcdErrors errors,
      Runnable trouble,
      LongFunction<CompletableFuture<Void>> newLease,
      EtcdChannel channel) {
    this.client = client;
    this.retry = new Retry(vertx, Duration.ofSeconds(1));
    this.key = paths.nodeKey(node);
    this.node = node;
    this.instanceId = instanceId;
    this.ttl = ttl;
    this.errors = errors;
    this.trouble = trouble;
    this.newLease = newLease;
    this.channel = channel;
  }

  String key() {
    return key;
  }

  /** The current lease id, or 0 before registration. */
  long leaseId() {
    KeptLease l = lease;
    return l == null ? 0 : l.id();
  }

  CompletableFuture<Void> register() {
    active = true;
    return putUnderNewLease()
        .thenAccept(
            old -> {
              if (old != null) {
                // An earlier attempt the engine gave up on completed late: tidy it away.
                old.revoke();
              }
            })
        .exceptionally(
            t -> {
              if (BackendFailure.unwrap(t) instanceof NameTakenException taken) {
                throw taken;
              }
              throw errors.failure("registering " + key, t);
            });
  }

  /** Grants a lease, puts the key under it; returns the previous lease (or null), not revoked. */
  private CompletableFuture<KeptLease> putUnderNewLease() {
    LOG.debug("etcd: grant lease (ttl {} s), put {}", ttl.toSeconds(), key);
    return KeptLease.grant(client.getLeaseClient(), ttl, EtcdClients.CALL_TIMEOUT, listener())
        .thenCompose(
            l ->
                put(l)
                    .handle(
                        (r, t) -> {
                          if (t != null || !active) {
                            // Failed, or unregistered meanwhile: this lease must not stay alive.
                            l.revoke();
                            throw new CompletionException(
                                t != null ? t : new IllegalStateException("unregistered"));
                          }
                          synchronized (this) {
                            KeptLease old = lease;
                            lease = l;
                            return old;
                          }
                        }));
  }

  /**
   * Puts the key under {@code l} where it is absent, already under {@code l}, or carries this
   * instance's id; fails with {@link NameTakenException} where another instance holds it. The read
   * and the put are one transaction each way, so a key that changes in between is read again.
   */
  private CompletableFuture<Void> put(KeptLease l) {
    return put(l, 1);
  }

  private CompletableFuture<Void> put(KeptLease l, int attempt) {
    ByteSequence k = bytes(key);
    Op write = Op.put(k, bytes(value()), PutOption.builder().withLeaseId(l.id()).build());
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(write)
        .Else(Op.get(k, GetOption.DEFAULT))
        .commit()
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            r -> {
              if (r.isSucceeded()) {
                return CompletableFuture.completedFuture(null);
              }
              List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
              if (kvs.isEmpty()) {
                return retryPut(l, attempt); // deleted between the compare and the get
              }
              KeyValue held = kvs.get(0);
              String value = EtcdPaths.text(held.getValue());
              if (held.getLease() != l.id() && !instanceId.equals(instanceOf(value))) {
                throw new NameTakenException(describeHolder(held, value), ttl);
              }
              return client
                  .getKVClient()
                  .txn()
                  .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(held.getModRevision())))
                  .Then(write)
                  .commit()
                  .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                  .thenCompose(
                      w ->
                          w.isSucceeded()
                              ? CompletableFuture.completedFuture(null)
                              : retryPut(l, attempt));
            });
  }

  private CompletableFuture<Void> retryPut(KeptLease l, int attempt) {
    if (attempt >= 5) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(key + " changed under every one of 5 conditional puts"));
    }
    return put(l, attempt + 1);
  }

  private String describeHolder(KeyValue held, String value) {
    String other = instanceOf(value);
    String at = null;
    try {
      at = new JsonObject(value).getString("registered_at");
    } catch (RuntimeException e) {
      // not one of ours: described by its lease alone
    }
    return "etcd key "
        + key
        + " is held by "
        + (other == null ? "an agent that gives no instance id" : "agent instance " + other)
        + " under lease "
        + Long.toHexString(held.getLease())
        + (at == null ? "" : ", registered at " + at)
        + " (this agent is instance "
        + instanceId
        + ")";
  }

  /** The instance id a registration's value carries, or null. */
  static String instanceOf(String value) {
    try {
      String id = new JsonObject(value).getString("instance");
      return id == null || id.isBlank() ? null : id;
    } catch (RuntimeException e) {
      return null; // RabbitMQ's plugin or an older agent wrote it
    }
  }

  private String value() {
    JsonObject v =
        new JsonObject()
            .put("node", node.toString())
            .put("agent", "muster")
            .put("instance", instanceId)
            .put("registered_at", Instant.now().toString());
    String member = memberOf;
    if (member != null) {
      v.put("cluster_id", member);
    }
    return Formats.stamp(v).encode();
  }

  /**
   * The cluster id a registration's value claims, if any: a member's cluster id; {@link
   * Registration#PLUGIN_CLUSTER} for a registration RabbitMQ's etcd plugin wrote ({@code
   * {"node","lease_id","ttl"}}, no {@code "agent": "muster"}); none for an agent that has not
   * completed, or a value that is not JSON.
   */
  static Optional<String> clusterIdOf(String value) {
    JsonObject v;
    try {
      v = new JsonObject(value);
    } catch (RuntimeException e) {
      return Optional.empty(); // unreadable: claims nothing
    }
    if (!"muster".equals(v.getValue("agent")) && v.getValue("node") instanceof String) {
      return Optional.of(Registration.PLUGIN_CLUSTER);
    }
    return Optional.ofNullable(v.getValue("cluster_id") instanceof String c ? c : null)
        .filter(c -> !c.isBlank());
  }

  /**
   * From now on the key's value carries {@code clusterId} (formation.md step 5): put at once under
   * the current lease, and by every later (re-)registration.
   */
  void markMember(String clusterId) {
    memberOf = clusterId;
    KeptLease l = lease;
    if (!active || l == null) {
      return; // the registration, when it comes, carries it
    }
    LOG.debug("etcd: put {} (member of cluster {})", key, clusterId);
    put(l)
        .whenComplete(
            (r, t) -> {
              if (t != null) {
                LOG.warn(
                    "Could not mark {} as a member of cluster {} ({}); the next re-assertion"
                        + " tries again",
                    key,
                    clusterId,
                    errors.failure("put", t).getMessage());
              }
            });
  }

  /** Puts the key again if its value does not carry this member's cluster id (after a restore). */
  CompletableFuture<Void> ensureMember() {
    String member = memberOf;
    KeptLease l = lease;
    if (!active || l == null || member == null) {
      return CompletableFuture.completedFuture(null);
    }
    return client
        .getKVClient()
        .get(bytes(key))
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            r -> {
              boolean carries =
                  !r.getKvs().isEmpty()
                      && clusterIdOf(EtcdPaths.text(r.getKvs().get(0).getValue()))
                          .filter(member::equals)
                          .isPresent();
              if (carries) {
                return CompletableFuture.completedFuture(null);
              }
              LOG.warn(
                  "Key {} does not say it is a member of cluster {} (store restored?); putting it"
                      + " again",
                  key,
                  member);
              return put(l);
            });
  }

  private KeptLease.Listener listener() {
    return new KeptLease.Listener() {
      @Override
      public void lost(KeptLease l, String why) {
        if (l == lease) {
          repair("lease " + l.hex() + " lost: " + why);
        }
      }

      @Override
      public void trouble(KeptLease l, String why) {
        if (l == lease && active) {
          LOG.debug("etcd keepalive stream broke ({}); jetcd reopens it", why);
          trouble.run();
        }
      }
    };
  }

  /** Someone deleted our key while we are registered: put it back under the same lease. */
  void keyDeleted() {
    KeptLease l = lease;
    if (!active || l == null) {
      return;
    }
    LOG.warn("Key {} was deleted by someone else; putting it back under lease {}", key, l.hex());
    put(l)
        .whenComplete(
            (r, t) -> {
              if (t != null && active) {
                // The lease itself may be gone: take the full path.
                repair(
                    "key deleted and re-put failed: " + errors.failure("re-put", t).getMessage());
              }
            });
  }

  /** After a gap in watching: is our key still there? Put it back if not. */
  void verifyKey() {
    if (!active || lease == null) {
      return;
    }
    client
        .getKVClient()
        .get(bytes(key))
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenAccept(
            r -> {
              if (r.getKvs().isEmpty()) {
                keyDeleted();
              }
            });
  }

  private void repair(String why) {
    synchronized (this) {
      if (!active || repairing) {
        return;
      }
      repairing = true;
    }
    trouble.run();
    if (channel.ready()) {
      LOG.warn("Registration of {} lost ({}); re-registering under a new lease", node, why);
    } else {
      LOG.warn(
          "Registration of {} lost ({}); re-registering under a new lease as soon as etcd can be"
              + " reached again (reconnecting every {} ms)",
          node,
          why,
          EtcdChannel.RECONNECT_EVERY.toMillis());
    }
    channel.whenReady(() -> attempt(1));
  }

  private void attempt(int n) {
    if (!active) {
      return;
    }
    long mark = channel.reconnects();
    putUnderNewLease()
        .thenCompose(
            old ->
                newLease
                    .apply(lease.id())
                    .thenApply(
                        x -> {
                          if (old != null) {
                            // Its keys (node key, forming marker) now sit on the new lease.
                            old.revoke();
                          }
                          return old;
                        }))
        .whenComplete(
            (old, t) -> {
              if (t == null) {
                synchronized (this) {
                  repairing = false;
                }
                LOG.info(
                    "Re-registered {} under lease {} (attempt {}); next: keep it alive",
                    key,
                    lease.hex(),
                    n);
                trouble.run();
                return;
              }
              retry(n, mark, errors.failure("re-registering", t).getMessage());
            });
  }

  /**
   * Attempt {@code n + 1}. When the channel went down during attempt {@code n} (or came back since
   * it began), the moment it is READY again: within a second of etcd's return, whatever the
   * outage's length. When etcd answered with an error, after the jittered backoff.
   */
  private void retry(int n, long mark, String why) {
    if (channel.observed() && (!channel.ready() || channel.reconnects() != mark)) {
      LOG.warn(
          "Re-registration attempt {} failed ({}); retrying as soon as etcd can be reached again"
              + " (reconnecting every {} ms)",
          n,
          why,
          EtcdChannel.RECONNECT_EVERY.toMillis());
      channel.whenReady(() -> attempt(n + 1));
      return;
    }
    Retry.Scheduled again = retry.after(n, () -> channel.whenReady(() -> attempt(n + 1)));
    LOG.warn(
        "Re-registration attempt {} failed ({}); retrying in {} ms until etcd answers",
        n,
        why,
        again.delay().toMillis());
  }

  /** Deletes the key and revokes the lease. */
  CompletableFuture<Void> unregister() {
    active = false;
    KeptLease l = lease;
    if (l == null) {
      return CompletableFuture.completedFuture(null);
    }
    LOG.debug("etcd: delete {}, revoke lease {}", key, l.hex());
    return client
        .getKVClient()
        .delete(bytes(key))
        .thenCompose(d -> l.revoke())
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            t -> {
              l.stopKeepAlive();
              throw errors.failure("unregistering " + key, t);
            });
  }

  String describe() {
    KeptLease l = lease;
    return "etcd key "
        + key
        + (l == null
            ? " (not registered yet)"
            : " under lease " + l.hex() + " (ttl " + l.ttlSeconds() + " s)");
  }
}
