// Over 350 lines: every marker transaction, so their guards read side by side.
package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.spi.BackendFailure;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's formation marker, one key beside the presence keys. {@code forming} is written
 * under the seed's registration lease (it dies with the seed's agent); {@code formed} has no lease
 * and stays. Writes are transactions on the current value, so an agent only ever replaces or
 * removes its own marker.
 */
final class MarkerStore {

  private static final Logger LOG = LoggerFactory.getLogger(MarkerStore.class);

  private final KV kv;
  private final ByteSequence key;
  private final String keyText;
  private volatile String ownForming;

  /** The create revision of the key when this agent wrote its forming marker. */
  private volatile long ownFormingCreated;

  /** Marker writes run one after another, so a re-attach never races a clear or a write. */
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

  private final EtcdPaths paths;

  MarkerStore(KV kv, EtcdPaths paths) {
    this.kv = kv;
    this.paths = paths;
    this.keyText = paths.markerKey();
    this.key = bytes(keyText);
  }

  CompletableFuture<Marker> read() {
    LOG.debug("etcd: get {}", keyText);
    return kv.get(key)
        .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(this::decode);
  }

  private Marker decode(GetResponse r) {
    if (r.getKvs().isEmpty()) {
      return new Marker.None();
    }
    return Marker.fromJson(keyText, text(r.getKvs().get(0).getValue()));
  }

  private synchronized <T> CompletableFuture<T> serial(Supplier<CompletableFuture<T>> op) {
    CompletableFuture<T> next =
        tail.handle((x, t) -> null)
            .thenCompose(x -> op.get())
            .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    tail = next;
    return next;
  }

  /**
   * Writes {@code forming} under {@code leaseId} where there is no marker, or over a forming marker
   * bound to that very lease (this agent's own earlier claim: one an abort or a withdrawal could
   * not clear, or one a restored store brought back). The write is a transaction on the key's
   * revision as read, so a marker written meanwhile by anyone is never overwritten. Records the
   * key's create revision: {@link #confirm} proves the claim unbroken since.
   */
  CompletableFuture<Void> markForming(Marker.Forming m, long leaseId) {
    String value = m.toJson();
    Op put = Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build());
    return serial(
        () ->
            kv.get(key)
                .thenCompose(
                    r -> {
                      KeyValue current = r.getKvs().isEmpty() ? null : r.getKvs().get(0);
                      if (current != null) {
                        Marker now = Marker.fromJson(keyText, text(current.getValue()));
                        boolean ours =
                            now.equals(m)
                                || (now instanceof Marker.Forming && current.getLease() == leaseId);
                        if (!ours) {
                          return CompletableFuture.completedFuture(false);
                        }
                      }
                      LOG.debug(
                          "etcd: txn put {} = {} (lease {})",
                          keyText,
                          value,
                          Long.toHexString(leaseId));
                      return putIfUnchanged(current, put);
                    })
                .thenCompose(t -> kv.get(key))
                .thenApply(
                    r -> {
                      var kvs = r.getKvs();
                      Marker now =
                          kvs.isEmpty()
                              ? new Marker.None()
                              : Marker.fromJson(keyText, text(kvs.get(0).getValue()));
                      if (!now.equals(m) || kvs.get(0).getLease() != leaseId) {
                        throw new IllegalStateException(
                            "another formation marker is in place: "
                                + describe(now)
                                + "; decide again (a forming marker expires with its seed's"
                                + " lease, within node_ttl)");
                      }
                      ownForming = value;
                      ownFormingCreated = kvs.get(0).getCreateRevision();
                      return null;
                    }));
  }

  /**
   * Proves this agent's claim (formation.md invariant 9): renews {@code leaseId} once, then reads
   * the marker. Held when the marker is still {@code claim}, bound to that lease, and its key was
   * never deleted and written again since {@link #markForming} (same create revision).
   */
  CompletableFuture<FormationLock.ClaimState> confirm(
      Lease leases, long leaseId, Marker.Forming claim) {
    LOG.debug("etcd: keepalive once lease {}, get {}", Long.toHexString(leaseId), keyText);
    CompletableFuture<Long> renewed =
        leaseId == 0
            ? CompletableFuture.completedFuture(0L)
            : leases
                .keepAliveOnce(leaseId)
                .thenApply(LeaseKeepAliveResponse::getTTL)
                .exceptionally(
                    t -> {
                      if (BackendFailure.unwrap(t) instanceof EtcdException e
                          && e.getErrorCode() == ErrorCode.NOT_FOUND) {
                        return 0L; // the lease expired: the claim with it
                      }
                      throw t instanceof CompletionException ce ? ce : new CompletionException(t);
                    });
    return renewed.thenCompose(
        ttl ->
            kv.get(key)
                .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(
                    r -> {
                      if (r.getKvs().isEmpty()) {
                        return new FormationLock.ClaimState(
                            new Marker.None(), false, Duration.ZERO);
                      }
                      var current = r.getKvs().get(0);
                      String text = text(current.getValue());
                      Marker now = Marker.fromJson(keyText, text);
                      boolean held =
                          ttl > 0
                              && now.equals(claim)
                              && text.equals(ownForming)
                              && current.getLease() == leaseId
                              && current.getCreateRevision() == ownFormingCreated;
                      return new FormationLock.ClaimState(
                          now, held, Duration.ofSeconds(Math.max(0, ttl)));
                    }));
  }

  /**
   * One transaction: {@code put} only if the key is still as it was read ({@code read}: its
   * key-value then, or null when it was absent), so a marker written meanwhile by anyone is never
   * overwritten. Completes with whether the put was made.
   */
  private CompletableFuture<Boolean> putIfUnchanged(KeyValue read, Op put) {
    Cmp unchanged =
        read == null
            ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
            : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(read.getModRevision()));
    return kv.txn().If(unchanged).Then(put).commit().thenApply(TxnResponse::isSucceeded);
  }

  /**
   * One transaction: {@code put} if the marker holds {@code expected} (when given) or is absent.
   */
  private CompletableFuture<TxnResponse> putIfAbsentOrHolding(String expected, Op put) {
    Cmp absent = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
    if (expected == null) {
      return kv.txn().If(absent).Then(put).commit();
    }
    return kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(expected))))
        .Then(put)
        .Else(Op.txn(new Cmp[] {absent}, new Op[] {put}, new Op[0]))
        .commit();
  }

  private static String describe(Marker m) {
    if (m instanceof Marker.Forming f) {
      return "forming, seed " + f.seed() + ", cluster " + f.clusterId();
    }
    if (m instanceof Marker.Formed f) {
      return "formed, seed " + f.seed() + ", cluster " + f.clusterId();
    }
    return "none";
  }

  /**
   * After a re-registration: move our forming marker to the new lease if it is still there (the key
   * is not re-created, so the claim stays unbroken). One that went with the old lease is never put
   * back: after such a gap another agent may have seeded, so the seed cannot confirm its claim and
   * withdraws (formation.md invariant 9). Fails (so the old lease is not revoked) when the move
   * could not be checked.
   */
  CompletableFuture<Void> reattach(long leaseId) {
    return serial(
        () -> {
          String value = ownForming;
          if (value == null) {
            return CompletableFuture.completedFuture(null);
          }
          Op put = Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build());
          return kv.txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(value))))
              .Then(put)
              .commit()
              .thenAccept(
                  t -> {
                    if (t.isSucceeded()) {
                      LOG.info(
                          "Forming marker {} moved to the new lease {}",
                          keyText,
                          Long.toHexString(leaseId));
                    } else {
                      ownForming = null;
                      LOG.error(
                          "This agent's forming marker {} went with its old lease; it is not put"
                              + " back (another agent may have seeded meanwhile): the seed"
                              + " withdraws",
                          keyText);
                    }
                  });
        });
  }

  /** Replaces our forming marker (or an absent one) with a durable formed marker. */
  CompletableFuture<Void> markFormed(Marker.Formed m) {
    String value = m.toJson();
    Op put = Op.put(key, bytes(value), PutOption.DEFAULT);
    LOG.debug("etcd: txn put {} = {} (no lease)", keyText, value);
    return serial(
        () -> {
          return putIfAbsentOrHolding(ownForming, put)
              .thenCompose(r -> read())
              .thenAccept(
                  now -> {
                    if (!(now instanceof Marker.Formed f) || !f.clusterId().equals(m.clusterId())) {
                      throw new IllegalStateException(
                          "could not write the formed marker: "
                              + keyText
                              + " holds "
                              + describe(now));
                    }
                    ownForming = null;
                  });
        });
  }

  /**
   * Puts {@code formed} (no lease) where the key is absent or holds a {@code forming} marker of the
   * same cluster id, then reads what is there: a formed member writing the truth back after a wipe
   * or a restore. The write is a transaction on the key's revision as read, so a marker written
   * meanwhile by anyone is never overwritten.
   */
  CompletableFuture<Marker> reassertFormed(Marker.Formed m) {
    String value = m.toJson();
    Op put = Op.put(key, bytes(value), PutOption.DEFAULT);
    return serial(
        () ->
            kv.get(key)
                .thenCompose(
                    r -> {
                      KeyValue current = r.getKvs().isEmpty() ? null : r.getKvs().get(0);
                      String was;
                      if (current == null) {
                        was = "missing";
                      } else {
                        Marker now = Marker.fromJson(keyText, text(current.getValue()));
                        if (!(now instanceof Marker.Forming f)) {
                          return CompletableFuture.completedFuture(now);
                        }
                        was =
                            f.clusterId().equals(m.clusterId())
                                ? "a stale forming marker of the formed cluster"
                                : "a forming marker of "
                                    + f.seed()
                                    + " for cluster "
                                    + f.clusterId()
                                    + " beside the formed one (restored from a backup, or a"
                                    + " seed that must withdraw)";
                      }
                      LOG.debug("etcd: txn put {} = {} ({})", keyText, value, was);
                      return putIfUnchangedAndNotRetired(current, put, m.clusterId())
                          .thenCompose(
                              written -> {
                                if (written) {
                                  LOG.warn(
                                      "The formed marker {} was {} (store wiped or restored?);"
                                          + " wrote it back for cluster {}",
                                      keyText,
                                      was,
                                      m.clusterId());
                                }
                                return read();
                              });
                    }));
  }

  /** As {@link #putIfUnchanged}, and only while {@code clusterId} has not been retired. */
  private CompletableFuture<Boolean> putIfUnchangedAndNotRetired(
      KeyValue read, Op put, String clusterId) {
    Cmp unchanged =
        read == null
            ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
            : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(read.getModRevision()));
    Cmp notRetired =
        new Cmp(bytes(paths.retiredKey(clusterId)), Cmp.Op.EQUAL, CmpTarget.version(0));
    return kv.txn()
        .If(unchanged, notRetired)
        .Then(put)
        .commit()
        .thenApply(TxnResponse::isSucceeded);
  }

  /**
   * Retires {@code clusterId}: deletes the marker if it is that cluster's formed one (or there is
   * none) and records {@code audit} under the retired key, in one transaction on the marker as
   * read.
   */
  CompletableFuture<Marker> retire(String clusterId, String audit) {
    ByteSequence retired = bytes(paths.retiredKey(clusterId));
    return serial(
        () ->
            kv.get(key)
                .thenCompose(
                    r -> {
                      KeyValue current = r.getKvs().isEmpty() ? null : r.getKvs().get(0);
                      Marker now =
                          current == null
                              ? new Marker.None()
                              : Marker.fromJson(keyText, text(current.getValue()));
                      Marker.checkRetirable(now, clusterId);
                      Cmp unchanged =
                          current == null
                              ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
                              : new Cmp(
                                  key,
                                  Cmp.Op.EQUAL,
                                  CmpTarget.modRevision(current.getModRevision()));
                      Op record = Op.put(retired, bytes(audit), PutOption.DEFAULT);
                      LOG.debug(
                          "etcd: txn delete {}, put {}", keyText, paths.retiredKey(clusterId));
                      return kv.txn()
                          .If(unchanged)
                          .Then(
                              current == null
                                  ? new Op[] {record}
                                  : new Op[] {Op.delete(key, DeleteOption.DEFAULT), record})
                          .commit()
                          .thenApply(
                              t -> {
                                if (!t.isSucceeded()) {
                                  throw new IllegalStateException(
                                      "the marker changed while retiring; nothing retired, try"
                                          + " again");
                                }
                                return now;
                              });
                    }));
  }

  /** Removes our forming marker (the seed's node aborted). */
  CompletableFuture<Void> clearForming() {
    return serial(
        () -> {
          String forming = ownForming;
          if (forming == null) {
            return CompletableFuture.completedFuture(null);
          }
          LOG.debug("etcd: txn delete {} if ours", keyText);
          return kv.txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(forming))))
              .Then(Op.delete(key, DeleteOption.DEFAULT))
              .commit()
              .thenAccept(r -> ownForming = null);
        });
  }
}
