package io.muster.backend.consul;

import static io.muster.backend.consul.ConsulHttp.kvOp;

import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's formation marker in Consul KV ({@code {lock_prefix}/{cluster}/formation}), written
 * only through {@code /v1/txn} so that every write is conditional on what the decision was based
 * on. {@code forming} is locked with the seed agent's session (behavior delete: it vanishes with
 * the seed's agent); {@code formed} is written by unlocking with the new value, so no session holds
 * it and it stays. A forming marker that no session holds counts as gone.
 */
final class ConsulMarkers {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulMarkers.class);

  private final ConsulHttp http;
  private final String key;
  private final String path;
  private volatile String ownForming;

  /** The key's ModifyIndex at the last {@link #read}; null when it did not exist. */
  private volatile Long lastSeen;

  private final ConsulSettings s;

  ConsulMarkers(ConsulHttp http, ConsulSettings s) {
    this.s = s;
    this.http = http;
    this.key = s.markerKey();
    this.path = "/v1/kv/" + key;
  }

  /** The stored marker as Consul has it: value, session holding it, modify and create index. */
  private record Stored(String value, String session, long modifyIndex, long createIndex) {}

  /** The key's CreateIndex when this agent locked its forming marker. */
  private volatile long ownFormingCreated;

  private CompletableFuture<Stored> stored() {
    return http.get(path, Map.of())
        .thenApply(
            r -> {
              if (r.status() == 404) {
                return null;
              }
              if (!r.ok()) {
                throw http.failure("reading the formation marker " + key, r);
              }
              JsonObject kv = r.array().getJsonObject(0);
              String b64 = kv.getString("Value");
              String value =
                  b64 == null
                      ? ""
                      : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
              return new Stored(
                  value,
                  kv.getString("Session"),
                  kv.getLong("ModifyIndex", 0L),
                  kv.getLong("CreateIndex", 0L));
            });
  }

  CompletableFuture<Marker> read() {
    return stored()
        .thenApply(
            st -> {
              lastSeen = st == null ? null : st.modifyIndex();
              if (st == null) {
                return new Marker.None();
              }
              Marker m = Marker.fromJson(key, st.value());
              // A forming marker nobody holds: its seed's session is gone.
              return m instanceof Marker.Forming && st.session() == null ? new Marker.None() : m;
            });
  }

  /** "Unchanged since it was read" as a transaction check. */
  private JsonObject unchangedSince(Long index) {
    return index == null
        ? kvOp("check-not-exists", key, null, null, null)
        : kvOp("check-index", key, null, index, null);
  }

  /**
   * Locks the marker key with {@code session}, writing {@code forming}, only if the key is as the
   * last {@link #read} saw it: a decision taken on a marker that changed since cannot write.
   */
  CompletableFuture<Void> markForming(Marker.Forming m, String session) {
    String value = m.toJson();
    JsonArray ops =
        new JsonArray().add(unchangedSince(lastSeen)).add(kvOp("lock", key, value, null, session));
    return http.txn(ops, "writing the forming marker " + key)
        .thenCompose(
            applied -> {
              if (applied) {
                return stored()
                    .thenApply(
                        st -> {
                          if (st == null || !value.equals(st.value())) {
                            throw new IllegalStateException(
                                "the forming marker just written is gone; decide again");
                          }
                          ownForming = value;
                          ownFormingCreated = st.createIndex();
                          return (Void) null;
                        });
              }
              return read()
                  .thenApply(
                      now -> {
                        throw new IllegalStateException(
                            "the formation marker changed since it was read (now "
                                + now
                                + "); decide again");
                      });
            });
  }

  /**
   * The agent session that held our forming marker was invalidated (behavior delete: the marker
   * went with it). It is never locked again: after such a gap another agent may have seeded, so the
   * seed cannot confirm its claim and withdraws (formation.md invariant 9).
   */
  void claimLost() {
    if (ownForming != null) {
      ownForming = null;
      LOG.error(
          "This agent's forming marker {} went with its session; it is not put back (another"
              + " agent may have seeded meanwhile): the seed withdraws",
          key);
    }
  }

  /**
   * Proves this agent's claim: renews the session that holds it ({@code renew}), then reads the
   * marker. Held when the marker is still {@code claim}, locked by {@code session}, and its key was
   * never deleted and written again since {@link #markForming} (same CreateIndex).
   */
  CompletableFuture<FormationLock.ClaimState> confirm(
      Supplier<CompletableFuture<Duration>> renew, String session, Marker.Forming claim) {
    return renew
        .get()
        .thenCompose(
            ttl ->
                stored()
                    .thenApply(
                        st -> {
                          if (st == null) {
                            return new FormationLock.ClaimState(
                                new Marker.None(), false, Duration.ZERO);
                          }
                          Marker now = Marker.fromJson(key, st.value());
                          boolean held =
                              !ttl.isZero()
                                  && session != null
                                  && now.equals(claim)
                                  && st.value().equals(ownForming)
                                  && session.equals(st.session())
                                  && st.createIndex() == ownFormingCreated;
                          return new FormationLock.ClaimState(now, held, ttl);
                        }));
  }

  /**
   * Replaces our forming marker with a formed one that no session holds: by unlocking with the new
   * value while our session holds it, else by a check-and-set if the key is ours (or gone) and
   * unheld. A key another session holds is never written.
   */
  CompletableFuture<Void> markFormed(Marker.Formed m, String session) {
    String value = m.toJson();
    CompletableFuture<Boolean> unlocked =
        session == null
            ? CompletableFuture.completedFuture(false)
            : http.txn(
                new JsonArray()
                    .add(kvOp("check-session", key, null, null, session))
                    .add(kvOp("unlock", key, value, null, session)),
                "writing the formed marker " + key);
    return unlocked
        .thenCompose(
            done -> {
              if (done) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              return stored()
                  .thenCompose(
                      st -> {
                        if (st != null && sameFormed(st.value(), m)) {
                          // already formed (a retry whose first answer was lost carries a new
                          // formed_at): done, and the first write stays
                          return CompletableFuture.<Void>completedFuture(null);
                        }
                        if (st != null
                            && (st.session() != null || !st.value().equals(ownForming))) {
                          throw new IllegalStateException(
                              "could not write the formed marker: "
                                  + key
                                  + " holds "
                                  + st.value()
                                  + (st.session() == null ? "" : " under another session"));
                        }
                        return http.txn(
                                new JsonArray()
                                    .add(unchangedSince(st == null ? null : st.modifyIndex()))
                                    .add(kvOp("set", key, value, null, null)),
                                "writing the formed marker " + key)
                            .thenAccept(
                                applied -> {
                                  if (!applied) {
                                    throw new IllegalStateException(
                                        "could not write the formed marker "
                                            + key
                                            + " (changed meanwhile)");
                                  }
                                });
                      });
            })
        .thenAccept(x -> ownForming = null);
  }

  /**
   * Writes {@code formed} (no session) where there is no marker (the key absent, or a forming
   * marker no session holds any more, which {@link #read} already counts as none) or a stale
   * forming marker of the same cluster id; then reads what is there. A formed member writing the
   * truth back after Consul lost its KV data. Every write is checked against the index read.
   */
  CompletableFuture<Marker> reassertFormed(Marker.Formed m) {
    String value = m.toJson();
    return stored()
        .thenCompose(
            st -> {
              Marker now = st == null ? new Marker.None() : Marker.fromJson(key, st.value());
              // a cluster formed: a forming marker beside it is stale or its seed must withdraw
              boolean none = st == null || now instanceof Marker.Forming;
              if (!none) {
                return CompletableFuture.completedFuture(false);
              }
              JsonArray ops =
                  new JsonArray()
                      .add(unchangedSince(st == null ? null : st.modifyIndex()))
                      // never a cluster an operator retired
                      .add(kvOp("check-not-exists", s.retiredKey(m.clusterId()), null, null, null))
                      .add(kvOp("set", key, value, null, null));
              return http.txn(ops, "re-asserting the formed marker " + key);
            })
        .thenCompose(
            written -> {
              if (written) {
                LOG.warn(
                    "The formed marker {} was missing (KV data lost?); wrote it back for cluster"
                        + " {}",
                    key,
                    m.clusterId());
              }
              return read();
            });
  }

  /**
   * Retires {@code clusterId}: deletes the marker if it is that cluster's formed one (or there is
   * none) and records {@code audit} under the retired key, in one transaction on the index read.
   */
  CompletableFuture<Marker> retire(String clusterId, String audit) {
    return stored()
        .thenCompose(
            st -> {
              Marker stored = st == null ? new Marker.None() : Marker.fromJson(key, st.value());
              // a forming marker no session holds any more counts as gone, as read() says
              Marker now =
                  stored instanceof Marker.Forming && st.session() == null
                      ? new Marker.None()
                      : stored;
              Marker.checkRetirable(now, clusterId);
              JsonArray ops =
                  new JsonArray().add(kvOp("set", s.retiredKey(clusterId), audit, null, null));
              if (st != null) {
                ops.add(kvOp("delete-cas", key, null, st.modifyIndex(), null));
              } else {
                ops.add(unchangedSince(null));
              }
              return http.txn(ops, "retiring cluster " + clusterId)
                  .thenApply(
                      applied -> {
                        if (!applied) {
                          throw new IllegalStateException(
                              "the marker changed while retiring; nothing retired, try again");
                        }
                        return now;
                      });
            });
  }

  /** True when {@code stored} is a formed marker of {@code m}'s cluster id and seed. */
  private boolean sameFormed(String stored, Marker.Formed m) {
    try {
      return Marker.fromJson(key, stored) instanceof Marker.Formed f
          && f.clusterId().equals(m.clusterId())
          && f.seed().equals(m.seed());
    } catch (IllegalStateException | IllegalArgumentException e) {
      return false; // not a marker we can read: never "ours"
    }
  }

  /** Deletes our forming marker (the seed's node aborted). */
  CompletableFuture<Void> clearForming() {
    String value = ownForming;
    if (value == null) {
      return CompletableFuture.completedFuture(null);
    }
    return stored()
        .thenCompose(
            st -> {
              if (st == null || !st.value().equals(value)) {
                ownForming = null;
                return CompletableFuture.<Void>completedFuture(null);
              }
              return http.txn(
                      new JsonArray().add(kvOp("delete-cas", key, null, st.modifyIndex(), null)),
                      "clearing the forming marker " + key)
                  .thenAccept(
                      applied -> {
                        if (!applied) {
                          throw new IllegalStateException("forming marker changed meanwhile");
                        }
                        ownForming = null;
                      });
            });
  }

  /** True while this agent has a forming marker it may need to restore. */
  boolean holdsForming() {
    return ownForming != null;
  }
}
