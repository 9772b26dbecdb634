package io.muster.classic;

import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reports the configured nodes, and the local node among them: the list is the config itself, in
 * which RabbitMQ lets the local node go unlisted. Names were validated when the config was loaded.
 */
final class ClassicConfigBackend implements Backend {

  private final DiscoveryResult.Peers peers;

  ClassicConfigBackend(List<NodeName> nodes, NodeName self) {
    List<NodeName> all = new ArrayList<>(nodes);
    all.add(self);
    this.peers = new DiscoveryResult.Peers(all.stream().distinct().toList());
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    return CompletableFuture.completedFuture(peers);
  }
}
