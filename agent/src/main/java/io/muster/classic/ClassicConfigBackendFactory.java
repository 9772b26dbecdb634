package io.muster.classic;

import io.muster.config.CoreKeys;
import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import io.muster.spi.support.DeclaredFactory;
import java.util.List;

/**
 * {@code classic_config}: the peers are listed in the config file. Lockless: parallel boots are
 * resolved by the contact-point rule.
 */
public final class ClassicConfigBackendFactory extends DeclaredFactory {

  static final Key<List<NodeName>> NODES =
      Key.list(
          "cluster_formation.classic_config.nodes",
          KeyType.NODE_NAME,
          "The cluster's nodes, cluster_formation.classic_config.nodes.1 = rabbit@host1, ...");

  public ClassicConfigBackendFactory() {
    super(
        "classic_config",
        List.of("rabbit_peer_discovery_classic_config"),
        "Static list of nodes from the config file (lockless, contact points).",
        List.of(NODES));
  }

  /**
   * formation.md invariant 8: a list of this node alone, or none, yields a cluster of one, which
   * needs {@code muster.allow_standalone = true}. The local node always counts as listed.
   */
  @Override
  public Backend create(BackendContext context) {
    List<NodeName> nodes = context.settings().get(NODES);
    NodeName self = context.localNode();
    boolean alone = nodes.stream().allMatch(self::equals);
    if (alone && !context.settings().get(CoreKeys.ALLOW_STANDALONE)) {
      throw new InvalidSettingException(
          NODES,
          "the cluster's other nodes ("
              + (nodes.isEmpty() ? "none are listed" : "only this node, " + self + ", is listed")
              + "), or muster.allow_standalone = true for a node meant to run alone");
    }
    return new ClassicConfigBackend(nodes, self);
  }
}
