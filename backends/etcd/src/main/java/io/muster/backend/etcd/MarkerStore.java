package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
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

  MarkerStore(KV kv, EtcdPaths paths) {
    this.kv = kv;
    this.keyText = paths.markerKey();
    this.key = bytes(keyText);
  }

  CompletableFuture<Marker> read() {
    LOG.debug("etcd: get {}", keyText);
    return kv.get(key).thenApply(this::decode);
  }

  private Marker decode(GetResponse r) {
    if (r.getKvs().isEmpty()) {
      return new Marker.None();
    }
    return decode(keyText, text(r.getKvs().get(0).getValue()));
  }

  /** Parses a stored marker; anything unreadable is an error, never "no marker". */
  static Marker decode(String keyText, String raw) {
    try {
      JsonObject o = new JsonObject(raw);
      NodeName seed = NodeName.parse(o.getString("seed", ""));
      String id = o.getString("cluster_id");
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("no cluster_id");
      }
      return switch (o.getString("state", "")) {
        case "forming" -> new Marker.Forming(seed, id);
        case "formed" -> new Marker.Formed(seed, id, Instant.parse(o.getString("formed_at")));
        default -> throw new IllegalArgumentException("state is neither forming nor formed");
      };
    } catch (DecodeException
        | IllegalArgumentException
        | ClassCastException
        | java.time.DateTimeException
        | NullPointerException e) {
      // Never treat an unreadable marker as "none": that could seed a second cluster.
      throw new IllegalStateException(
          "the formation marker "
              + keyText
              + " is unreadable ("
              + e.getMessage()
              + "); fix or"
              + " delete it by hand after checking the cluster");
    }
  }

  static String encode(Marker m) {
    JsonObject o = new JsonObject();
    if (m instanceof Marker.Forming f) {
      o.put("state", "forming").put("seed", f.seed().toString()).put("cluster_id", f.clusterId());
    } else if (m instanceof Marker.Formed f) {
      o.put("state", "formed")
          .put("seed", f.seed().toString())
          .put("cluster_id", f.clusterId())
          .put("formed_at", f.formedAt().toString());
    } else {
      throw new IllegalArgumentException("cannot store " + m);
    }
    return o.encode();
  }

  /** Writes {@code forming} under {@code leaseId} if there is no marker (or it is ours already). */
  CompletableFuture<Void> markForming(Marker.Forming m, long leaseId) {
    String value = encode(m);
    LOG.debug("etcd: txn put {} = {} (lease {})", keyText, value, Long.toHexString(leaseId));
    return kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build()))
        .commit()
        .thenCompose(
            r -> {
              if (r.isSucceeded()) {
                ownForming = value;
                return CompletableFuture.completedFuture(null);
              }
              return read()
                  .thenApply(
                      now -> {
                        throw new IllegalStateException(
                            "the formation marker appeared under the lock: " + now);
                      });
            });
  }

  /** After a re-registration: move our forming marker to the new lease, or put it back. */
  CompletableFuture<Void> reattach(long leaseId) {
    String value = ownForming;
    if (value == null) {
      return CompletableFuture.completedFuture(null);
    }
    return kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(value))))
        .Then(Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build()))
        .Else(
            Op.txn(
                new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))},
                new Op[] {
                  Op.put(key, bytes(value), PutOption.builder().withLeaseId(leaseId).build())
                },
                new Op[0]))
        .commit()
        .thenAccept(
            r ->
                LOG.info(
                    "Forming marker {} re-attached to the new lease {}",
                    keyText,
                    Long.toHexString(leaseId)));
  }

  /** Replaces our forming marker (or an absent one) with a durable formed marker. */
  CompletableFuture<Void> markFormed(Marker.Formed m) {
    String value = encode(m);
    String forming = ownForming;
    Cmp cmp =
        forming == null
            ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
            : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(forming)));
    LOG.debug("etcd: txn put {} = {} (no lease)", keyText, value);
    Op put = Op.put(key, bytes(value), PutOption.DEFAULT);
    return kv.txn()
        .If(cmp)
        .Then(put)
        .Else(
            Op.txn(
                new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))},
                new Op[] {put},
                new Op[0]))
        .commit()
        .thenCompose(r -> read())
        .thenAccept(
            now -> {
              if (!(now instanceof Marker.Formed f) || !f.clusterId().equals(m.clusterId())) {
                throw new IllegalStateException(
                    "could not write the formed marker: " + keyText + " now holds " + now);
              }
              ownForming = null;
            });
  }

  /** Removes our forming marker (the seed's node aborted). */
  CompletableFuture<Void> clearForming() {
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
  }
}
