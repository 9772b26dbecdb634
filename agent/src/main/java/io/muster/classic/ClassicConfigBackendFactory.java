package io.muster.classic;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import java.util.List;

/**
 * {@code classic_config}: the peers are listed in the config file. Lockless: parallel boots are
 * resolved by the contact-point rule.
 */
public final class ClassicConfigBackendFactory implements BackendFactory {

  static final Key<List<NodeName>> NODES =
      Key.list(
          "cluster_formation.classic_config.nodes",
          KeyType.NODE_NAME,
          "The cluster's nodes, cluster_formation.classic_config.nodes.1 = rabbit@host1, ...");

  @Override
  public String name() {
    return "classic_config";
  }

  @Override
  public List<String> aliases() {
    return List.of("rabbit_peer_discovery_classic_config");
  }

  @Override
  public String description() {
    return "Static list of nodes from the config file (lockless, contact points).";
  }

  @Override
  public String keyPrefix() {
    return "cluster_formation.classic_config";
  }

  @Override
  public List<Key<?>> keys() {
    return List.of(NODES);
  }

  @Override
  public Backend create(BackendContext context) {
    return new ClassicConfigBackend(context.settings().get(NODES));
  }
}
