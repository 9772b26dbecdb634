package io.muster.backend.consul;

import io.muster.spi.Marker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's formation marker in Consul KV ({@code {lock_prefix}/{cluster}/formation}). {@code
 * forming} is acquired with the seed agent's session (behavior delete: it vanishes with the seed's
 * agent); {@code formed} is written by releasing that session's hold with the new value, so it has
 * no session and stays. A forming marker that no session holds counts as gone.
 */
final class ConsulMarkers {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulMarkers.class);

  private final ConsulHttp http;
  private final String key;
  private final String path;
  private volatile String ownForming;

  ConsulMarkers(ConsulHttp http, ConsulSettings s) {
    this.http = http;
    this.key = s.markerKey();
    this.path = "/v1/kv/" + key;
  }

  /** The stored marker as Consul has it: value, session holding it, modify index. */
  private record Stored(String value, String session, long modifyIndex) {}

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
              return new Stored(value, kv.getString("Session"), kv.getLong("ModifyIndex", 0L));
            });
  }

  CompletableFuture<Marker> read() {
    return stored()
        .thenApply(
            st -> {
              if (st == null) {
                return new Marker.None();
              }
              Marker m = decode(key, st.value());
              // A forming marker nobody holds: its seed's session is gone.
              return m instanceof Marker.Forming && st.session() == null ? new Marker.None() : m;
            });
  }

  static Marker decode(String where, String raw) {
    return Marker.fromJson(where, raw);
  }

  static String encode(Marker m) {
    return m.toJson();
  }

  /** Acquires the marker key with {@code session}, writing {@code forming}. */
  synchronized CompletableFuture<Void> markForming(Marker.Forming m, String session) {
    String value = encode(m);
    return http.put(path, Map.of("acquire", session), Buffer.buffer(value))
        .thenCompose(
            r -> {
              if (r.ok() && "true".equals(r.text())) {
                ownForming = value;
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (!r.ok()) {
                throw http.failure("writing the forming marker " + key, r);
              }
              return read()
                  .thenApply(
                      now -> {
                        throw new IllegalStateException(
                            "another formation marker is in place: "
                                + now
                                + "; decide again (a forming marker goes with its seed's session)");
                      });
            });
  }

  /** After a new agent session: take our forming marker back, unless someone else's is there. */
  synchronized CompletableFuture<Void> reattach(String session) {
    String value = ownForming;
    if (value == null) {
      return CompletableFuture.completedFuture(null);
    }
    return stored()
        .thenCompose(
            st -> {
              if (st != null && !st.value().equals(value)) {
                ownForming = null;
                LOG.error(
                    "This agent's forming marker {} was replaced by {} while its session was"
                        + " lost; another agent may have seeded: check the cluster",
                    key,
                    st.value());
                return CompletableFuture.<Void>completedFuture(null);
              }
              return http.put(path, Map.of("acquire", session), Buffer.buffer(value))
                  .thenAccept(
                      r -> {
                        if (!r.ok() || !"true".equals(r.text())) {
                          throw new IllegalStateException("forming marker not re-acquired");
                        }
                        LOG.info("Forming marker {} re-acquired with the new session", key);
                      });
            });
  }

  /** Replaces our forming marker with a formed one that no session holds. */
  synchronized CompletableFuture<Void> markFormed(Marker.Formed m, String session) {
    String value = encode(m);
    CompletableFuture<ConsulHttp.Reply> released =
        session == null
            ? CompletableFuture.completedFuture(
                new ConsulHttp.Reply(200, Buffer.buffer("false"), 0))
            : http.put(path, Map.of("release", session), Buffer.buffer(value));
    return released
        .thenCompose(
            r -> {
              if (r.ok() && "true".equals(r.text())) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              // Our session no longer holds it (lost): write it if the key is ours or absent.
              return stored()
                  .thenCompose(
                      st -> {
                        if (st != null
                            && !st.value().equals(ownForming)
                            && !st.value().equals(value)) {
                          throw new IllegalStateException(
                              "could not write the formed marker: " + key + " holds " + st.value());
                        }
                        long cas = st == null ? 0 : st.modifyIndex();
                        return http.put(
                                path, Map.of("cas", Long.toString(cas)), Buffer.buffer(value))
                            .thenAccept(
                                w -> {
                                  if (!w.ok() || !"true".equals(w.text())) {
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

  /** Deletes our forming marker (the seed's node aborted). */
  synchronized CompletableFuture<Void> clearForming() {
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
              return http.send(
                      HttpMethod.DELETE,
                      path,
                      Map.of("cas", Long.toString(st.modifyIndex())),
                      null,
                      null)
                  .thenAccept(
                      r -> {
                        if (!r.ok() || !"true".equals(r.text())) {
                          throw new IllegalStateException("forming marker changed meanwhile");
                        }
                        ownForming = null;
                      });
            });
  }
}
