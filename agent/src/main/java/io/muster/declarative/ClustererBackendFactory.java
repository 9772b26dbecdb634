package io.muster.declarative;

import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.declarative.ClusterSpec.Gospel;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.ClusterSpec.Reset;
import io.muster.declarative.ClusterSpecs.InvalidSpecException;
import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import io.muster.spi.Settings;
import io.muster.spi.support.DeclaredFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code clusterer} (or {@code muster.mode = declarative}): the cluster is the one a versioned
 * config declares, in the keys of RabbitMQ's Clusterer taken verbatim ({@code clusterer.version},
 * {@code clusterer.nodes[.disc|.ram].N}, {@code clusterer.gospel = reset} or {@code
 * clusterer.gospel.node}), or in a file in its format ({@code clusterer.config}). The config file's
 * version is offered at every start; a younger one applied later and stored in the data dir stays
 * in force.
 */
public final class ClustererBackendFactory extends DeclaredFactory {

  static final Key<Long> VERSION =
      Key.scalar(
          "clusterer.version",
          KeyType.of(
              "an integer, 1 or greater",
              raw -> {
                try {
                  long v = Long.parseLong(raw.trim());
                  if (v >= 1) {
                    return v;
                  }
                } catch (NumberFormatException e) {
                  // said below
                }
                throw new IllegalArgumentException(
                    "an integer, 1 or greater (the youngest config wins; seconds since the epoch"
                        + " are a good choice)");
              }),
          null,
          "The config's version: of two configs, the higher version wins everywhere.");

  static final Key<List<NodeName>> NODES =
      Key.list(
          "clusterer.nodes",
          KeyType.NODE_NAME,
          "The cluster's disc nodes, clusterer.nodes.1 = rabbit@hostA, ...");

  static final Key<List<NodeName>> DISC =
      Key.list(
          "clusterer.nodes.disc",
          KeyType.NODE_NAME,
          "Disc nodes, as the Clusterer writes them: clusterer.nodes.disc.1 = rabbit@hostA");

  static final Key<List<NodeName>> RAM =
      Key.list(
          "clusterer.nodes.ram",
          KeyType.NODE_NAME,
          "RAM nodes (RabbitMQ 3.x only; 4.x has none): clusterer.nodes.ram.1 = rabbit@hostB");

  static final Key<String> GOSPEL =
      Key.scalar(
          "clusterer.gospel",
          KeyType.oneOf("reset"),
          null,
          "reset: every node is reset on each new version (wipes the cluster's data).");

  static final Key<NodeName> GOSPEL_NODE =
      Key.scalar(
          "clusterer.gospel.node",
          KeyType.NODE_NAME,
          null,
          "The node whose cluster's data survives; nodes not of its cluster are reset to join it.");

  static final Key<Path> CONFIG =
      Key.scalar(
          "clusterer.config",
          KeyType.PATH,
          null,
          "A file holding the config in the Clusterer's format ([{version, 43}, {nodes, [...]},"
              + " {gospel, ...}].) or Muster's JSON, instead of the keys above.");

  public ClustererBackendFactory() {
    super(
        "clusterer",
        List.of("rabbitmq_clusterer"),
        "A versioned, declarative cluster config, the model of RabbitMQ's Clusterer (no"
            + " discovery: peers are the config's nodes).",
        List.of(VERSION, NODES, DISC, RAM, GOSPEL, GOSPEL_NODE, CONFIG));
  }

  /**
   * Reads the config's spec and checks it against the one stored in the data dir, writing nothing
   * ({@code validate} and {@code peers} create backends too): the running agent offers it when it
   * starts deciding ({@link ClustererBackend#holder}).
   */
  @Override
  public Backend create(BackendContext context) {
    ClusterSpec fromConfig = spec(context.settings());
    SpecStore store = new SpecStore(context.dataDir());
    Optional<ClusterSpec> stored;
    try {
      stored = store.load();
    } catch (IllegalStateException e) {
      throw new InvalidSettingException(
          keyOf(context.settings()), "a readable stored config: " + e.getMessage());
    }
    if (stored.isPresent() && stored.get().compare(fromConfig) == ClusterSpec.Comparison.CONFLICT) {
      throw new InvalidSettingException(
          keyOf(context.settings()),
          "a config that agrees with the one in force: version "
              + fromConfig.version()
              + " differs from version "
              + stored.get().version()
              + " stored in "
              + store.file()
              + " ("
              + stored.get().describe()
              + " against "
              + fromConfig.describe()
              + "); equal versions must be equal configs: give the new one a higher version");
    }
    return new ClustererBackend(fromConfig, store, context.localNode());
  }

  private static Key<?> keyOf(Settings s) {
    return s.find(CONFIG).isPresent() ? CONFIG : VERSION;
  }

  /** The config's spec, from the file {@code clusterer.config} names or from the keys. */
  static ClusterSpec spec(Settings s) {
    Optional<Path> file = s.find(CONFIG);
    boolean inline =
        s.find(VERSION).isPresent()
            || !s.get(NODES).isEmpty()
            || !s.get(DISC).isEmpty()
            || !s.get(RAM).isEmpty()
            || s.find(GOSPEL).isPresent()
            || s.find(GOSPEL_NODE).isPresent();
    if (file.isPresent()) {
      if (inline) {
        throw new InvalidSettingException(
            CONFIG, "either clusterer.config or the inline clusterer.* keys, not both");
      }
      try {
        return ClusterSpecs.parse(Files.readString(file.get()), file.get().toString());
      } catch (IOException e) {
        throw new InvalidSettingException(
            CONFIG, "a readable file, but " + file.get() + " cannot be read (" + e + ")");
      } catch (InvalidSpecException e) {
        throw new InvalidSettingException(CONFIG, "a cluster config: " + e.getMessage());
      }
    }
    Long version =
        s.find(VERSION)
            .orElseThrow(
                () ->
                    new InvalidSettingException(VERSION, "a version, 1 or greater (it is unset)"));
    SortedMap<NodeName, NodeType> nodes = new TreeMap<>();
    add(nodes, s.get(NODES), NodeType.DISC, NODES);
    add(nodes, s.get(DISC), NodeType.DISC, DISC);
    add(nodes, s.get(RAM), NodeType.RAM, RAM);
    if (nodes.isEmpty()) {
      throw new InvalidSettingException(
          NODES, "the cluster's nodes (clusterer.nodes.N or clusterer.nodes.disc.N; none is set)");
    }
    Gospel gospel;
    if (s.find(GOSPEL).isPresent() && s.find(GOSPEL_NODE).isPresent()) {
      throw new InvalidSettingException(
          GOSPEL, "clusterer.gospel = reset or clusterer.gospel.node, not both");
    } else if (s.find(GOSPEL).isPresent()) {
      gospel = new Reset();
    } else {
      gospel =
          new FromNode(
              s.find(GOSPEL_NODE)
                  .orElseThrow(
                      () ->
                          new InvalidSettingException(
                              GOSPEL_NODE,
                              "the node whose data survives, or clusterer.gospel = reset (neither"
                                  + " is set)")));
    }
    try {
      return new ClusterSpec(version, nodes, gospel);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(
          gospel instanceof FromNode ? GOSPEL_NODE : NODES, "a valid config: " + e.getMessage());
    }
  }

  private static void add(
      SortedMap<NodeName, NodeType> nodes, List<NodeName> listed, NodeType type, Key<?> key) {
    for (int i = 0; i < listed.size(); i++) {
      if (nodes.put(listed.get(i), type) != null) {
        throw new InvalidSettingException(
            key, "each node listed once, but " + listed.get(i) + " is listed twice");
      }
    }
  }
}
