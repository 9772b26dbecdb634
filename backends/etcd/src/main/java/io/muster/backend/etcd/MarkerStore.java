package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.spi.Marker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

  /** Marker writes run one after another, so a re-attach never races a clear or a write. */
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

  MarkerStore(KV kv, EtcdPaths paths) {
    this.kv = kv;
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

  private synchronized <T> CompletableFuture<T> serial(
      java.util.function.Supplier<CompletableFuture<T>> op) {
    CompletableFuture<T> next =
        tail.handle((x, t) -> null)
            .thenCompose(x -> op.get())
            .orTimeout(EtcdClients.CALL_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    tail = next;
    return next;
  }

  /**
   * Writes {@code forming} under {@code leaseId} if there is no marker, or if the marker is this
   * very one (the same seed deciding again after an abort that could not clear it).
   */
  CompletableFuture<Void> markForming(Marker.Forming m, long leaseId) {
    String value = m.toJson();
    Op put = Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build());
    LOG.debug("etcd: txn put {} = {} (lease {})", keyText, value, Long.toHexString(leaseId));
    return serial(
        () ->
            putIfAbsentOrHolding(value, put)
                .thenCompose(r -> read())
                .thenApply(
                    now -> {
                      if (!(now instanceof Marker.Forming f) || !f.equals(m)) {
                        throw new IllegalStateException(
                            "another formation marker is in place: "
                                + describe(now)
                                + "; decide again (a forming marker expires with its seed's"
                                + " lease, within node_ttl)");
                      }
                      ownForming = value;
                      return null;
                    }));
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
   * After a re-registration: move our forming marker to the new lease, or put it back if it went
   * with the old one. Fails (so the old lease is not revoked) unless the marker is ours afterwards.
   */
  CompletableFuture<Void> reattach(long leaseId) {
    return serial(
        () -> {
          String value = ownForming;
          if (value == null) {
            return CompletableFuture.completedFuture(null);
          }
          Op put = Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build());
          return putIfAbsentOrHolding(value, put)
              .thenCompose(r -> kv.get(key))
              .thenApply(
                  r -> {
                    var kvs = r.getKvs();
                    if (kvs.isEmpty()
                        || !value.equals(text(kvs.get(0).getValue()))
                        || kvs.get(0).getLease() != leaseId) {
                      String now = kvs.isEmpty() ? "nothing" : text(kvs.get(0).getValue());
                      LOG.error(
                          "Could not move this agent's forming marker {} to lease {}: it now"
                              + " holds {}. Another agent may have seeded; check the cluster",
                          keyText,
                          Long.toHexString(leaseId),
                          now);
                      if (!kvs.isEmpty() && !value.equals(now)) {
                        ownForming = null;
                        return null;
                      }
                      throw new IllegalStateException("forming marker not re-attached");
                    }
                    LOG.info(
                        "Forming marker {} re-attached to the new lease {}",
                        keyText,
                        Long.toHexString(leaseId));
                    return null;
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
                      Cmp unchanged;
                      String was;
                      if (r.getKvs().isEmpty()) {
                        unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
                        was = "missing";
                      } else {
                        var current = r.getKvs().get(0);
                        Marker now = Marker.fromJson(keyText, text(current.getValue()));
                        if (!(now instanceof Marker.Forming f)
                            || !f.clusterId().equals(m.clusterId())) {
                          return CompletableFuture.completedFuture(now);
                        }
                        unchanged =
                            new Cmp(
                                key, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision()));
                        was = "a stale forming marker of the formed cluster";
                      }
                      LOG.debug("etcd: txn put {} = {} ({})", keyText, value, was);
                      return kv.txn()
                          .If(unchanged)
                          .Then(put)
                          .commit()
                          .thenCompose(
                              t -> {
                                if (t.isSucceeded()) {
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
