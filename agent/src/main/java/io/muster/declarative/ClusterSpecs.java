package io.muster.declarative;

import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.declarative.ClusterSpec.Gospel;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.ClusterSpec.Reset;
import io.muster.declarative.ErlangTerms.Atom;
import io.muster.declarative.ErlangTerms.Int;
import io.muster.declarative.ErlangTerms.ListTerm;
import io.muster.declarative.ErlangTerms.Term;
import io.muster.declarative.ErlangTerms.Tuple;
import io.muster.spi.NodeName;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a {@link ClusterSpec} from the forms a Clusterer user has: a config file of Erlang terms
 * ({@code [{version, 43}, {nodes, [...]}, {gospel, {node, rabbit@hostD}}].}), Muster's JSON form,
 * or the {@code clusterer.*} lines of a rabbitmq.conf-style file. Every problem is an {@link
 * InvalidSpecException} that names where (file and line, or key) and what was expected.
 */
public final class ClusterSpecs {

  private ClusterSpecs() {}

  /** A spec that cannot be read, with where and why. */
  public static final class InvalidSpecException extends Exception {
    public InvalidSpecException(String message) {
      super(message);
    }
  }

  /** A config file's text: JSON when it starts with '{', else Erlang terms. */
  public static ClusterSpec parse(String text, String origin) throws InvalidSpecException {
    return text.stripLeading().startsWith("{") ? fromJson(text, origin) : fromTerms(text, origin);
  }

  /** The Clusterer's own format: one proplist of version, nodes and gospel, ended by a dot. */
  public static ClusterSpec fromTerms(String text, String origin) throws InvalidSpecException {
    Term t;
    try {
      t = ErlangTerms.parse(text);
    } catch (ErlangTerms.SyntaxError e) {
      throw new InvalidSpecException(origin + ": " + e.getMessage());
    }
    if (!(t instanceof ListTerm list)) {
      throw at(origin, t, "a list of {version, N}, {nodes, [...]} and {gospel, ...}, found " + t);
    }
    Long version = null;
    SortedMap<NodeName, NodeType> nodes = null;
    Gospel gospel = null;
    for (Term item : list.items()) {
      if (!(item instanceof Tuple tuple)
          || tuple.items().size() != 2
          || !(tuple.items().get(0) instanceof Atom key)) {
        throw at(origin, item, "a {key, value} pair, found " + item);
      }
      Term value = tuple.items().get(1);
      switch (key.name()) {
        case "version" -> {
          if (version != null) {
            throw at(origin, item, "one version, found a second");
          }
          if (!(value instanceof Int n)) {
            throw at(origin, value, "a non-negative integer version, found " + value);
          }
          version = n.value();
        }
        case "nodes" -> {
          if (nodes != null) {
            throw at(origin, item, "one nodes list, found a second");
          }
          nodes = nodes(origin, value);
        }
        case "gospel" -> {
          if (gospel != null) {
            throw at(origin, item, "one gospel, found a second");
          }
          gospel = gospel(origin, value);
        }
        default -> throw at(origin, item, "version, nodes or gospel, found " + key.name());
      }
    }
    return build(version, nodes, gospel, origin);
  }

  private static SortedMap<NodeName, NodeType> nodes(String origin, Term value)
      throws InvalidSpecException {
    if (!(value instanceof ListTerm list)) {
      throw at(origin, value, "a list of nodes, found " + value);
    }
    SortedMap<NodeName, NodeType> nodes = new TreeMap<>();
    for (Term n : list.items()) {
      Atom name;
      NodeType type = NodeType.DISC;
      if (n instanceof Atom a) {
        name = a;
      } else if (n instanceof Tuple t
          && t.items().size() == 2
          && t.items().get(0) instanceof Atom a
          && t.items().get(1) instanceof Atom kind) {
        name = a;
        type = type(origin, kind);
      } else {
        throw at(origin, n, "a node name or {Node, disc | ram}, found " + n);
      }
      NodeName node = name(origin, name);
      if (nodes.put(node, type) != null) {
        throw at(origin, n, "each node once, found " + node + " twice");
      }
    }
    return nodes;
  }

  private static NodeType type(String origin, Atom kind) throws InvalidSpecException {
    return NodeType.parse(kind.name())
        .orElseThrow(() -> at(origin, kind, "disc, disk or ram, found " + kind.name()));
  }

  private static Gospel gospel(String origin, Term value) throws InvalidSpecException {
    if (value instanceof Atom a && a.name().equals("reset")) {
      return new Reset();
    }
    if (value instanceof Tuple t
        && t.items().size() == 2
        && t.items().get(0) instanceof Atom k
        && k.name().equals("node")
        && t.items().get(1) instanceof Atom n) {
      return new FromNode(name(origin, n));
    }
    throw at(origin, value, "reset or {node, Node}, found " + value);
  }

  private static NodeName name(String origin, Atom a) throws InvalidSpecException {
    try {
      return NodeName.parse(a.name());
    } catch (IllegalArgumentException e) {
      throw at(origin, a, "a node name (name@host), found " + a.name() + ": " + e.getMessage());
    }
  }

  /**
   * Muster's JSON form: {@code {"version": 43, "nodes": {"rabbit@a": "disc", ...}, "gospel":
   * {"node": "rabbit@a"}}} or {@code "gospel": "reset"}.
   */
  public static ClusterSpec fromJson(String text, String origin) throws InvalidSpecException {
    JsonObject o;
    try {
      o = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new InvalidSpecException(origin + ": not a JSON object: " + e.getMessage());
    }
    for (String key : o.fieldNames()) {
      if (!key.equals("version") && !key.equals("nodes") && !key.equals("gospel")) {
        throw new InvalidSpecException(
            origin + ": expected version, nodes and gospel, found \"" + key + "\"");
      }
    }
    Long version;
    try {
      version = o.getLong("version");
    } catch (ClassCastException e) {
      throw new InvalidSpecException(origin + ": version: expected an integer");
    }
    SortedMap<NodeName, NodeType> nodes = null;
    if (o.getValue("nodes") instanceof JsonObject n) {
      nodes = new TreeMap<>();
      for (Map.Entry<String, Object> e : n) {
        NodeName name;
        try {
          name = NodeName.parse(e.getKey());
        } catch (IllegalArgumentException x) {
          throw new InvalidSpecException(origin + ": nodes: " + x.getMessage());
        }
        String kind = String.valueOf(e.getValue()).toLowerCase(Locale.ROOT);
        nodes.put(
            name,
            NodeType.parse(kind)
                .orElseThrow(
                    () ->
                        new InvalidSpecException(
                            origin
                                + ": nodes: "
                                + name
                                + ": expected disc or ram, found "
                                + kind)));
      }
    } else if (o.containsKey("nodes")) {
      throw new InvalidSpecException(origin + ": nodes: expected an object of name: disc|ram");
    }
    Gospel gospel = null;
    Object g = o.getValue("gospel");
    if ("reset".equals(g)) {
      gospel = new Reset();
    } else if (g instanceof JsonObject go && go.getValue("node") instanceof String n) {
      try {
        gospel = new FromNode(NodeName.parse(n));
      } catch (IllegalArgumentException x) {
        throw new InvalidSpecException(origin + ": gospel: " + x.getMessage());
      }
    } else if (g != null) {
      throw new InvalidSpecException(
          origin + ": gospel: expected \"reset\" or {\"node\": \"name@host\"}, found " + g);
    }
    return build(version, nodes, gospel, origin);
  }

  /**
   * The Clusterer's rabbitmq.conf keys: {@code clusterer.version}, {@code clusterer.nodes.N},
   * {@code clusterer.nodes.disc.N}, {@code clusterer.nodes.ram.N}, {@code clusterer.gospel = reset}
   * or {@code clusterer.gospel.node}. {@code keys}: each key with its value; {@code origin}: where
   * they were read (file and line are in the config's own errors).
   */
  public static ClusterSpec fromKeys(Map<String, String> keys, String origin)
      throws InvalidSpecException {
    Long version = null;
    SortedMap<NodeName, NodeType> nodes = new TreeMap<>();
    Gospel gospel = null;
    for (Map.Entry<String, String> e : new TreeMap<>(keys).entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      if (key.equals("clusterer.version")) {
        try {
          version = Long.parseLong(value);
        } catch (NumberFormatException x) {
          throw new InvalidSpecException(
              origin + ": clusterer.version: expected a non-negative integer, got " + value);
        }
      } else if (key.equals("clusterer.gospel")) {
        if (!value.equals("reset")) {
          throw new InvalidSpecException(
              origin
                  + ": clusterer.gospel: expected reset (or clusterer.gospel.node = NODE), got "
                  + value);
        }
        if (gospel != null) {
          throw new InvalidSpecException(
              origin + ": clusterer.gospel and clusterer.gospel.node are both set; keep one");
        }
        gospel = new Reset();
      } else if (key.equals("clusterer.gospel.node")) {
        if (gospel != null) {
          throw new InvalidSpecException(
              origin + ": clusterer.gospel and clusterer.gospel.node are both set; keep one");
        }
        gospel = new FromNode(keyNode(origin, key, value));
      } else if (key.matches("clusterer\\.nodes\\.(disc\\.|disk\\.|ram\\.)?[0-9]+")) {
        NodeType type = key.contains(".ram.") ? NodeType.RAM : NodeType.DISC;
        NodeName node = keyNode(origin, key, value);
        NodeType was = nodes.put(node, type);
        if (was != null) {
          throw new InvalidSpecException(
              origin + ": " + key + ": " + node + " is listed twice under clusterer.nodes");
        }
      } else {
        throw new InvalidSpecException(
            origin
                + ": "
                + key
                + ": expected clusterer.version, clusterer.nodes[.disc|.ram].N, clusterer.gospel"
                + " or clusterer.gospel.node");
      }
    }
    return build(version, nodes.isEmpty() ? null : nodes, gospel, origin);
  }

  private static NodeName keyNode(String origin, String key, String value)
      throws InvalidSpecException {
    try {
      return NodeName.parse(value);
    } catch (IllegalArgumentException x) {
      throw new InvalidSpecException(origin + ": " + key + ": " + x.getMessage());
    }
  }

  private static ClusterSpec build(
      Long version, SortedMap<NodeName, NodeType> nodes, Gospel gospel, String origin)
      throws InvalidSpecException {
    if (version == null) {
      throw new InvalidSpecException(origin + ": no version (a config needs one, 1 or greater)");
    }
    if (version < 1) {
      throw new InvalidSpecException(
          origin
              + ": version "
              + version
              + ": a config needs version 1 or greater (0 is the Clusterer's empty default, which"
              + " any config replaces)");
    }
    if (nodes == null) {
      throw new InvalidSpecException(origin + ": no nodes");
    }
    if (gospel == null) {
      throw new InvalidSpecException(origin + ": no gospel (reset, or the node whose data stays)");
    }
    try {
      return new ClusterSpec(version, nodes, gospel);
    } catch (IllegalArgumentException e) {
      throw new InvalidSpecException(origin + ": " + e.getMessage());
    }
  }

  private static InvalidSpecException at(String origin, Term t, String expected) {
    return new InvalidSpecException(origin + ", line " + t.line() + ": expected " + expected);
  }
}
