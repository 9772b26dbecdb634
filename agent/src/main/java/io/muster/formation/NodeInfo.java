package io.muster.formation;

import io.muster.spi.Formats;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an agent tells other agents on its peer port: its node, formation state, cluster, members,
 * start time, every node it knows of (its discovered set plus the agents that probed it), and the
 * clusters it knows of without being their member ({@code knowsOf}: the one it was told to join,
 * and any it saw formed). Lockless backends keep no store, so that knowledge is what keeps a blank
 * node from seeding beside a cluster whose members lost their data (formation.md invariant 10).
 */
public record NodeInfo(
    NodeName node,
    NodeState state,
    String clusterId,
    Set<NodeName> members,
    Instant startedAt,
    Instant formedAt,
    Set<NodeName> discovered,
    Set<String> knowsOf,
    long specVersion,
    String specDigest,
    long specFormedAt) {

  public NodeInfo {
    members = Set.copyOf(members);
    discovered = Set.copyOf(discovered);
    knowsOf = Set.copyOf(knowsOf);
  }

  /** An answer of an agent that runs no declarative config ({@code specVersion} 0). */
  public NodeInfo(
      NodeName node,
      NodeState state,
      String clusterId,
      Set<NodeName> members,
      Instant startedAt,
      Instant formedAt,
      Set<NodeName> discovered,
      Set<String> knowsOf) {
    this(node, state, clusterId, members, startedAt, formedAt, discovered, knowsOf, 0, null, 0);
  }

  /** An answer that knows of no cluster beyond its own. */
  public NodeInfo(
      NodeName node,
      NodeState state,
      String clusterId,
      Set<NodeName> members,
      Instant startedAt,
      Instant formedAt,
      Set<NodeName> discovered) {
    this(node, state, clusterId, members, startedAt, formedAt, discovered, Set.of(), 0, null, 0);
  }

  public JsonObject toJson() {
    JsonObject o =
        new JsonObject()
            .put("node", node.toString())
            .put("state", state.wire())
            .put("cluster_id", clusterId)
            .put("members", names(members))
            .put("started_at", startedAt.toString())
            .put("formed_at", formedAt == null ? null : formedAt.toString())
            .put("discovered", names(discovered));
    if (!knowsOf.isEmpty()) {
      // optional, written only when there is something to say: older agents ignore it
      JsonArray ids = new JsonArray();
      new TreeSet<>(knowsOf).forEach(ids::add);
      o.put("knows_of", ids);
    }
    if (specVersion > 0) {
      // declarative mode: the version of the cluster config in force (optional, like knows_of)
      o.put("spec_version", specVersion);
      o.put("spec_digest", specDigest);
      if (specFormedAt > 0) {
        // the version its cluster membership (or pending decision) was decided at
        o.put("spec_formed_at", specFormedAt);
      }
    }
    return Formats.stamp(o);
  }

  private static JsonArray names(Set<NodeName> nodes) {
    JsonArray a = new JsonArray();
    new TreeSet<>(nodes).forEach(n -> a.add(n.toString()));
    return a;
  }

  /**
   * Reads a peer's answer. Invalid node names inside it are dropped into {@code rejected}; a
   * missing or malformed field fails the whole answer.
   *
   * @throws IllegalArgumentException when the answer is unusable
   */
  public static NodeInfo fromJson(JsonObject o, List<String> rejected) {
    try {
      Formats.of(o);
      NodeName node = NodeName.parse(o.getString("node"));
      NodeState state = NodeState.fromWire(o.getString("state"));
      String clusterId = o.getString("cluster_id");
      if (state != NodeState.BOOTING && (clusterId == null || clusterId.isBlank())) {
        throw new IllegalArgumentException("a " + state.wire() + " node must carry a cluster_id");
      }
      Instant started = Instant.parse(o.getString("started_at"));
      String formed = o.getString("formed_at");
      return new NodeInfo(
          node,
          state,
          clusterId,
          parseNames(o.getJsonArray("members"), rejected),
          started,
          formed == null ? null : Instant.parse(formed),
          parseNames(o.getJsonArray("discovered"), rejected),
          clusterIds(o.getJsonArray("knows_of")),
          specVersion(o.getValue("spec_version"), "spec_version"),
          specDigest(o.getValue("spec_digest")),
          specVersion(o.getValue("spec_formed_at"), "spec_formed_at"));
    } catch (NullPointerException | ClassCastException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "malformed node answer: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * The optional {@code spec_version} or {@code spec_formed_at}: absent is 0; anything but a whole
   * number 0 or more fails.
   */
  private static long specVersion(Object value, String field) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Number n
        && n.doubleValue() == Math.rint(n.doubleValue())
        && n.longValue() >= 0) {
      return n.longValue();
    }
    throw new IllegalArgumentException(field + " must be a whole number, 0 or more");
  }

  /** The optional {@code spec_digest}: absent is null; else a short hex string. */
  private static String specDigest(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String d && d.matches("[0-9a-f]{1,64}")) {
      return d;
    }
    throw new IllegalArgumentException("spec_digest must be a hex string");
  }

  /** The optional {@code knows_of} list: absent (an older agent) is empty; blanks fail. */
  private static Set<String> clusterIds(JsonArray array) {
    if (array == null) {
      return Set.of();
    }
    Set<String> ids = new TreeSet<>();
    for (Object item : array.getList()) {
      if (!(item instanceof String id) || id.isBlank() || id.length() > 128) {
        throw new IllegalArgumentException("knows_of must list cluster ids");
      }
      ids.add(id);
    }
    return ids;
  }

  private static Set<NodeName> parseNames(JsonArray array, List<String> rejected) {
    Set<NodeName> out = new TreeSet<>();
    if (array == null) {
      throw new IllegalArgumentException("missing list of node names");
    }
    List<Object> items = new ArrayList<>(array.getList());
    for (Object item : items) {
      String text = String.valueOf(item);
      try {
        out.add(NodeName.parse(text));
      } catch (IllegalArgumentException e) {
        rejected.add(e.getMessage());
      }
    }
    return out;
  }
}
