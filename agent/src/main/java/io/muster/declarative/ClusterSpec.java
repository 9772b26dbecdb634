package io.muster.declarative;

import io.muster.spi.NodeName;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A declarative cluster target in the model of RabbitMQ's Clusterer: a version (the youngest wins),
 * the nodes with their types, and the gospel: whose data survives when nodes that are not yet one
 * cluster become one ({@code reset}: nobody's, every node is reset on each new version). Immutable
 * and valid by construction.
 */
public record ClusterSpec(long version, SortedMap<NodeName, NodeType> nodes, Gospel gospel) {

  /** A node's type, as the Clusterer writes it ({@code disk} is read as {@code disc}). */
  public enum NodeType {
    DISC,
    RAM;

    String text() {
      return this == DISC ? "disc" : "ram";
    }

    /** {@code disc}, {@code disk} or {@code ram}, as the Clusterer spells them; else empty. */
    static Optional<NodeType> parse(String text) {
      return switch (text) {
        case "disc", "disk" -> Optional.of(DISC);
        case "ram" -> Optional.of(RAM);
        default -> Optional.empty();
      };
    }
  }

  /** Whose data survives: {@link Reset} or {@link FromNode}. */
  public sealed interface Gospel permits Reset, FromNode {}

  /** Every node is reset on each new version; the cluster starts empty. */
  public record Reset() implements Gospel {
    @Override
    public String toString() {
      return "reset";
    }
  }

  /** The data of the cluster {@code node} belongs to survives; other nodes are reset to join. */
  public record FromNode(NodeName node) implements Gospel {
    public FromNode {
      Objects.requireNonNull(node, "node");
    }

    @Override
    public String toString() {
      return "{node, " + node + "}";
    }
  }

  /**
   * @throws IllegalArgumentException naming what is wrong: a negative version, no nodes, no disc
   *     node, or a gospel node the nodes do not list
   */
  public ClusterSpec {
    Objects.requireNonNull(nodes, "nodes");
    Objects.requireNonNull(gospel, "gospel");
    if (version < 0) {
      throw new IllegalArgumentException("version must be 0 or more, got " + version);
    }
    nodes = Collections.unmodifiableSortedMap(new TreeMap<>(nodes));
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("nodes lists no node");
    }
    if (!nodes.containsValue(NodeType.DISC)) {
      throw new IllegalArgumentException(
          "nodes lists no disc node; a RabbitMQ cluster needs at least one");
    }
    if (gospel instanceof FromNode g && !nodes.containsKey(g.node())) {
      throw new IllegalArgumentException(
          "gospel names " + g.node() + ", which nodes does not list");
    }
  }

  /** The same cluster shape and gospel, whatever the versions. */
  public boolean sameContent(ClusterSpec other) {
    return nodes.equals(other.nodes) && gospel.equals(other.gospel);
  }

  /** The listed nodes, in name order. */
  public SortedSet<NodeName> names() {
    return new TreeSet<>(nodes.keySet());
  }

  /** Nodes {@code older} lists and this one does not. */
  public SortedSet<NodeName> droppedSince(ClusterSpec older) {
    SortedSet<NodeName> dropped = new TreeSet<>(older.nodes.keySet());
    dropped.removeAll(nodes.keySet());
    return dropped;
  }

  /** The JSON form, as stored in the data directory and served on the API. */
  public JsonObject toJson() {
    JsonObject n = new JsonObject();
    nodes.forEach((name, type) -> n.put(name.toString(), type.text()));
    JsonObject o = new JsonObject().put("version", version).put("nodes", n);
    if (gospel instanceof FromNode g) {
      o.put("gospel", new JsonObject().put("node", g.node().toString()));
    } else {
      o.put("gospel", "reset");
    }
    return o;
  }

  /**
   * A short digest of the content (nodes, types, gospel; not the version), which agents tell each
   * other beside the version, so that equal versions with different content are seen and refused
   * (the Clusterer's rule) without sending the config itself.
   */
  public String digest() {
    StringBuilder content = new StringBuilder();
    nodes.forEach((name, type) -> content.append(name).append('=').append(type.text()).append(';'));
    content.append("gospel=").append(gospel);
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(content.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
    }
  }

  /** One line for logs and status: {@code version 43: rabbit@a (disc), ...; gospel ...}. */
  public String describe() {
    return "version "
        + version
        + ": "
        + nodes.entrySet().stream()
            .map(e -> e.getKey() + " (" + e.getValue().text() + ")")
            .collect(Collectors.joining(", "))
        + "; gospel "
        + gospel;
  }

  /** How an offered spec relates to the one in force. */
  public enum Comparison {
    /** Younger: it replaces the one in force. */
    YOUNGER,
    /** The same version and content: nothing to do. */
    SAME,
    /** Older: ignored (the one in force is pushed back to its sender). */
    OLDER,
    /** The same version with other content: refused, never guessed at (the Clusterer's rule). */
    CONFLICT
  }

  /** How {@code offered} compares with this spec, the one in force. */
  public Comparison compare(ClusterSpec offered) {
    if (offered.version > version) {
      return Comparison.YOUNGER;
    }
    if (offered.version < version) {
      return Comparison.OLDER;
    }
    return sameContent(offered) ? Comparison.SAME : Comparison.CONFLICT;
  }
}
