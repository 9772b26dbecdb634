package io.muster.declarative;

import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The declarative backend: the peers are the nodes of the config in force, and the agent decides by
 * {@link DeclarativeRules} instead of discovering. The config from the file is offered to the
 * {@link SpecHolder} only once a running agent asks for it ({@link #holder}); before that (for
 * {@code validate} and {@code peers}) nothing is written.
 */
public final class ClustererBackend implements Backend, DeclaredConfig {

  private final ClusterSpec fromConfig;
  private final SpecStore store;
  private final NodeName self;
  private SpecHolder holder;
  private volatile boolean resetsNode;

  ClustererBackend(ClusterSpec fromConfig, SpecStore store, NodeName self) {
    this.fromConfig = fromConfig;
    this.store = store;
    this.self = self;
  }

  /**
   * The holder of the config in force, created on first use: the stored config is read and the
   * config file's is offered to it (a younger stored one, applied since, stays in force).
   */
  public synchronized SpecHolder holder() {
    if (holder == null) {
      SpecHolder h = new SpecHolder(self, store);
      SpecHolder.Result r = h.adopt(fromConfig, "the config file");
      if (r.outcome() == SpecHolder.Outcome.REFUSED) {
        // checked when the backend was created; only a concurrent write could get here
        throw new IllegalStateException("cluster config refused: " + r.why());
      }
      holder = h;
    }
    return holder;
  }

  /** The config in force: the holder's once created, else the younger of stored and file. */
  @Override
  public ClusterSpec inForce() {
    synchronized (this) {
      if (holder != null) {
        return holder.inForce().orElse(fromConfig);
      }
    }
    Optional<ClusterSpec> stored = store.load();
    return stored.isPresent() && stored.get().version() > fromConfig.version()
        ? stored.get()
        : fromConfig;
  }

  /** Under {@code muster exec} with a way to reset the node configured (set before it decides). */
  public void resetsNode(boolean can) {
    this.resetsNode = can;
  }

  @Override
  public boolean resetsNode() {
    return resetsNode;
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    List<NodeName> nodes = new ArrayList<>(inForce().names());
    if (!nodes.contains(self)) {
      nodes.add(self);
    }
    return CompletableFuture.completedFuture(new DiscoveryResult.Peers(nodes));
  }
}
