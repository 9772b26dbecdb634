package io.muster.spi;

import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the core hands a backend when creating it. */
public interface BackendContext {

  /** The local node's name. */
  NodeName localNode();

  /** The validated settings, including the backend's own keys. */
  Settings settings();

  /** The agent's Vert.x instance: use its event loop; never block it. */
  Vertx vertx();

  /** The agent's data directory. */
  Path dataDir();

  /**
   * This agent's instance id, kept in its data dir: registrations carry it, so that a restarted
   * agent recognises its own registration and another agent's registration of the same node name is
   * refused ({@link NameTakenException}).
   */
  String instanceId();

  /** The proxy to use for a host and scheme, honouring {@code proxy_exclusions}. */
  Optional<URI> proxyFor(String scheme, String host);

  /** Hosts excluded from proxying. */
  List<String> proxyExclusions();
}
