package io.muster.spi;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * A cluster's formation marker, kept by lock backends beside the registrations. Backends store it
 * as JSON ({@link #toJson}, {@link #fromJson}): {@code {"state":"forming"|"formed","seed",
 * "cluster_id","formed_at","format"}} ({@link Formats}).
 */
public sealed interface Marker {

  /** No cluster has been formed or started forming under this cluster name. */
  record None() implements Marker {}

  /** {@code seed} was told to seed and has not completed yet; lives with the seed's lease. */
  record Forming(NodeName seed, String clusterId) implements Marker {}

  /** The cluster formed; durable, so that nobody ever seeds this cluster name again. */
  record Formed(NodeName seed, String clusterId, Instant formedAt) implements Marker {}

  /**
   * What {@link FormationLock#retire} may act on: no marker, or {@code clusterId}'s formed one.
   *
   * @throws IllegalStateException naming the cluster when {@code current} is a forming marker (a
   *     seed still pending) or another cluster's formed marker
   */
  static void checkRetirable(Marker current, String clusterId) {
    if (current instanceof Forming f) {
      throw new IllegalStateException(
          "cluster "
              + f.clusterId()
              + " is forming (seed "
              + f.seed()
              + "): retire applies to a formed cluster whose members are all lost");
    }
    if (current instanceof Formed f && !f.clusterId().equals(clusterId)) {
      throw new IllegalStateException(
          "the formed marker names cluster "
              + f.clusterId()
              + " (seed "
              + f.seed()
              + "), not "
              + clusterId
              + "; nothing retired");
    }
  }

  /** The stored form of a forming or formed marker. */
  default String toJson() {
    JsonObject o = new JsonObject();
    if (this instanceof Forming f) {
      o.put("state", "forming").put("seed", f.seed().toString()).put("cluster_id", f.clusterId());
    } else if (this instanceof Formed f) {
      o.put("state", "formed")
          .put("seed", f.seed().toString())
          .put("cluster_id", f.clusterId())
          .put("formed_at", f.formedAt().toString());
    } else {
      throw new IllegalArgumentException("'none' is the absence of a marker, not a value");
    }
    return Formats.stamp(o).encode();
  }

  /**
   * Parses a stored marker. Anything unreadable is an error, never "no marker": reading garbage as
   * "none" could seed a second cluster.
   *
   * @param where the key it was read from, for the message
   * @throws IllegalStateException naming {@code where} when the value is unreadable
   */
  static Marker fromJson(String where, String raw) {
    try {
      JsonObject o = new JsonObject(raw);
      Formats.of(o);
      NodeName seed = NodeName.parse(o.getString("seed", ""));
      String id = o.getString("cluster_id");
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("no cluster_id");
      }
      return switch (o.getString("state", "")) {
        case "forming" -> new Forming(seed, id);
        case "formed" -> new Formed(seed, id, Instant.parse(o.getString("formed_at")));
        default -> throw new IllegalArgumentException("state is neither forming nor formed");
      };
    } catch (DecodeException
        | IllegalArgumentException
        | ClassCastException
        | DateTimeException
        | NullPointerException e) {
      throw new IllegalStateException(
          "the formation marker "
              + where
              + " is unreadable ("
              + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ")
              + "; it holds "
              + NodeName.quote(raw)
              + "); fix or delete it by hand after checking the cluster");
    }
  }
}
