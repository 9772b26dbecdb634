package io.muster.agent;

import io.muster.config.CoreSettings;
import io.muster.spi.BackendContext;
import io.muster.spi.NodeName;
import io.muster.spi.Settings;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the core hands a backend factory: node, settings, Vert.x, data dir, instance id and proxy
 * rules.
 */
public record AgentBackendContext(
    CoreSettings core, Settings settings, Vertx vertx, String instanceId)
    implements BackendContext {

  @Override
  public NodeName localNode() {
    return core.nodeName();
  }

  @Override
  public Path dataDir() {
    return core.dataDir();
  }

  @Override
  public Optional<URI> proxyFor(String scheme, String host) {
    if (core.proxyExclusions().stream().anyMatch(h -> h.equalsIgnoreCase(host))) {
      return Optional.empty();
    }
    return "https".equalsIgnoreCase(scheme) ? core.httpsProxy() : core.httpProxy();
  }

  @Override
  public List<String> proxyExclusions() {
    return core.proxyExclusions();
  }
}
