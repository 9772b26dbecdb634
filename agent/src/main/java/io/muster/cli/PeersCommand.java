package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.agent.SidecarVertx;
import io.muster.config.CoreSettings;
import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code muster peers}: one discovery, printed. */
@Command(
    name = "peers",
    mixinStandardHelpOptions = true,
    description =
        "Ask the backend once and print the peers, one per line; exit 1 when discovery fails or"
            + " finds no usable peer (what was dropped or rejected, and why, goes to stderr).")
final class PeersCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    AgentConfig loaded = config.load();
    DiscoveryResult result = once(loaded);
    if (result instanceof DiscoveryResult.Peers peers) {
      for (String r : peers.rejected()) {
        spec.commandLine().getErr().println("rejected: " + r);
      }
      for (String d : peers.dropped()) {
        spec.commandLine().getErr().println("dropped: " + d);
      }
      for (NodeName n : new TreeSet<>(peers.nodes())) {
        spec.commandLine().getOut().println(n);
      }
      if (peers.nodes().isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                "muster: discovery with "
                    + loaded.factory().name()
                    + " found no usable peer ("
                    + peers.dropped().size()
                    + " dropped, "
                    + peers.rejected().size()
                    + " rejected)");
        return 1;
      }
      return 0;
    }
    DiscoveryResult.Failure f = (DiscoveryResult.Failure) result;
    spec.commandLine()
        .getErr()
        .println(
            "muster: discovery with "
                + loaded.factory().name()
                + " failed ("
                + f.kind()
                + "): "
                + f.message());
    return 1;
  }

  /** One discovery with the config's backend, on a Vert.x of its own, closed afterwards. */
  static DiscoveryResult once(AgentConfig loaded) throws Exception {
    CoreSettings core = loaded.core();
    Vertx vertx = SidecarVertx.create();
    try (Backend backend = loaded.createBackend(vertx)) {
      return backend
          .discover(core.discoveryTimeout())
          .toCompletableFuture()
          .get(core.discoveryTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } finally {
      vertx.close();
    }
  }
}
